"""The boto3 baseline for the S3 benchmark: the same work as `SwitchboardBench s3`.

    python boto3_s3.py small [count]   count objects of 4 KiB, put then get (upload_file / download_file),
                                       16 threads
    python boto3_s3.py large [MiB]     one file uploaded then downloaded with the default TransferConfig;
                                       peak RSS
Reads S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET (scripts/services up seaweedfs).
"""
import os
import resource
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3_SECRET_KEY"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=32),
    )


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "small"
    bucket = os.environ.get("S3_BUCKET", "switchboard-test")
    s3 = client()
    with tempfile.TemporaryDirectory() as directory:
        if mode == "small":
            count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
            source = os.path.join(directory, "small.bin")
            with open(source, "wb") as f:
                f.write(bytes((i * 7) & 0xFF for i in range(4096)))
            os.mkdir(os.path.join(directory, "back"))
            run = uuid.uuid4().hex[:8]
            with ThreadPoolExecutor(16) as pool:
                start = time.perf_counter()
                list(pool.map(lambda i: s3.upload_file(source, bucket, f"boto-{run}/{i}.bin"), range(count)))
                put = time.perf_counter() - start
                start = time.perf_counter()
                list(pool.map(lambda i: s3.download_file(bucket, f"boto-{run}/{i}.bin", os.path.join(directory, "back", f"{i}.bin")), range(count)))
                get = time.perf_counter() - start
            print(f"boto3: {count} objects of 4 KiB, 16 threads: put {count / put:.0f}/s, get {count / get:.0f}/s, "
                  f"put+get {count / (put + get):.0f} objects/s")
        else:
            mebibytes = int(sys.argv[2]) if len(sys.argv) > 2 else 512
            source = os.path.join(directory, "large.bin")
            chunk = bytes(((i * 2654435761) >> 11) & 0xFF for i in range(1 << 20)) * 8
            with open(source, "wb") as f:
                for _ in range(mebibytes // 8):
                    f.write(chunk)
            del chunk
            key = f"boto-large-{uuid.uuid4().hex[:8]}.bin"
            size = mebibytes * 1048576
            start = time.perf_counter()
            s3.upload_file(source, bucket, key)
            up = time.perf_counter() - start
            start = time.perf_counter()
            s3.download_file(bucket, key, os.path.join(directory, "large.back"))
            down = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"boto3: {mebibytes} MiB up {size / up / 1e6:.0f} MB/s ({up:.1f} s), down {size / down / 1e6:.0f} MB/s "
                  f"({down:.1f} s); peak RSS {peak:.0f} MiB")
            s3.delete_object(Bucket=bucket, Key=key)


if __name__ == "__main__":
    main()
