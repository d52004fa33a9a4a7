import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardHTTP

extension S3Storage {
    // MARK: Download

    /// Downloads in one request when the object is small, or when its ETag is a plain MD5 (the content is then
    /// checked against it as it streams); otherwise the first response gives the first `part_size` bytes and
    /// the rest comes in ranges, `parallel_parts` at a time, each written at its offset and pinned to the first
    /// response's ETag with If-Match.
    public func download(_ key: String, to destination: String, progress: ProgressHandler?) async throws
        -> DownloadedFile
    {
        let target = try FileTransfer.downloadPath(destination, key: key)
        let partSize = settings.partSize
        // Made once the first response is in (a missing object leaves no trace), removed on any failure.
        var file: (path: String, fd: Int32)?
        do {
            // The first response: the whole object, or, when the rest comes faster in parallel ranges, its
            // first part (the connection is dropped after it).
            let first = try await stream("GET", key: key, timeout: .seconds(86_400)) { response in
                let etag = Self.etag(response.header("ETag"))
                let total = response.header("Content-Length").flatMap { Int64($0) }
                let created = try FileTransfer.createTemporary(besides: target)
                file = created
                let counter = progress.map { ByteCounter(total: total ?? 0, handler: $0) }
                var md5: Insecure.MD5? = Self.isMD5(etag) ? Insecure.MD5() : nil
                // A large object whose ETag cannot check its content comes faster in parallel ranges.
                let parallel = md5 == nil && (total ?? 0) > 2 * partSize && settings.parallelParts > 1
                let written = try await receive(
                    response.body,
                    into: created.1,
                    at: 0,
                    expected: parallel ? partSize : total,
                    limit: parallel ? partSize : nil,
                    md5: &md5,
                    counter: counter,
                    target: target
                )
                return FirstResponse(
                    etag: etag,
                    total: total,
                    written: written,
                    md5: md5,
                    counter: counter,
                    parallel: parallel
                )
            }
            guard let (temporary, fd) = file else { throw CancellationError() }
            var written = first.written
            if first.parallel, let total = first.total {
                written += try await downloadRanges(
                    key: key,
                    etag: first.etag,
                    from: written,
                    total: total,
                    fd: fd,
                    counter: first.counter,
                    target: target
                )
            }
            if let total = first.total, written != total {
                throw IntegrationError(
                    code: .connectionFailed,
                    message: "the download of \(key) ended after \(written) of \(total) bytes",
                    transience: .always
                )
            }
            if let md5 = first.md5 {
                let actual = SigV4Signer.hex(Array(md5.finalize()))
                if actual != first.etag.lowercased() {
                    throw IntegrationError(
                        code: .serverError,
                        message: "the downloaded data's MD5 \(actual) does not match the ETag \(first.etag)",
                        transience: .always
                    )
                }
            }
            try await FileTransfer.blocking(bytes: written) {
                try FileTransfer.commit(fd, temporary: temporary, to: target, durable: false)
            }
            progress?(written, written)
            return DownloadedFile(path: target, size: written)
        } catch {
            guard let (temporary, fd) = file else { throw error }
            FileTransfer.discard(fd, temporary: temporary)
            if var error = error as? IntegrationError, !error.message.hasSuffix("the partial file was removed") {
                error.message += "; the partial file was removed"
                throw error
            }
            throw error
        }
    }

    /// What the first response of a download brought.
    struct FirstResponse {
        var etag: String
        var total: Int64?
        var written: Int64
        var md5: Insecure.MD5?
        var counter: ByteCounter?
        var parallel: Bool
    }

    /// The ranges after `start`, `parallel_parts` at a time; returns the bytes written.
    func downloadRanges(
        key: String,
        etag: String,
        from start: Int64,
        total: Int64,
        fd: Int32,
        counter: ByteCounter?,
        target: String
    ) async throws -> Int64 {
        let partSize = settings.partSize
        var ranges: [(Int64, Int64)] = []
        var offset = start
        while offset < total {
            ranges.append((offset, min(partSize, total - offset)))
            offset += partSize
        }
        return try await withThrowingTaskGroup(of: Int64.self) { group in
            var next = 0
            var written: Int64 = 0
            func start() {
                let (offset, length) = ranges[next]
                next += 1
                group.addTask {
                    var headers = [("Range", "bytes=\(offset)-\(offset + length - 1)")]
                    if !etag.isEmpty { headers.append(("If-Match", "\"\(etag)\"")) }
                    return try await self.stream("GET", key: key, headers: headers, timeout: .seconds(3_600)) {
                        response in
                        var none: Insecure.MD5? = nil
                        return try await self.receive(
                            response.body,
                            into: fd,
                            at: offset,
                            expected: length,
                            md5: &none,
                            counter: counter,
                            target: target
                        )
                    }
                }
            }
            while next < min(settings.parallelParts, ranges.count) { start() }
            while let count = try await group.next() {
                written += count
                if next < ranges.count { start() }
            }
            return written
        }
    }

    /// Streams a response body into `fd` from `offset` in 1 MiB writes; returns the bytes written.
    func receive(
        _ body: HTTPClientResponse.Body,
        into fd: Int32,
        at offset: Int64,
        expected: Int64?,
        limit: Int64? = nil,
        md5: inout Insecure.MD5?,
        counter: ByteCounter?,
        target: String
    ) async throws -> Int64 {
        var written: Int64 = 0
        let batch = FileTransfer.chunkSize
        var pending: [UInt8] = []
        pending.reserveCapacity(Int(min(expected ?? Int64(batch), Int64(batch))))
        func flush() async throws {
            guard !pending.isEmpty else { return }
            var chunk: [UInt8] = []
            chunk.reserveCapacity(batch)
            swap(&chunk, &pending)
            let position = offset + written - Int64(chunk.count)
            let full = chunk
            try await FileTransfer.blocking(bytes: Int64(full.count)) {
                try full.withUnsafeBytes { try FileTransfer.write(fd, $0, offset: position, destination: target) }
            }
            counter?.add(full.count)
        }
        for try await buffer in body {
            var buffer = buffer
            if let limit, written + Int64(buffer.readableBytes) > limit {
                // Past the limit the rest of this response is dropped (its connection closes).
                buffer = buffer.getSlice(at: buffer.readerIndex, length: Int(limit - written)) ?? ByteBuffer()
            }
            buffer.withUnsafeReadableBytes { raw in
                md5?.update(bufferPointer: raw)
                pending.append(contentsOf: raw)
            }
            written += Int64(buffer.readableBytes)
            if pending.count >= batch { try await flush() }
            if let limit, written >= limit { break }
        }
        try await flush()
        if let expected, written != expected {
            throw IntegrationError(
                code: .connectionFailed,
                message: "a response ended after \(written) of \(expected) bytes",
                transience: .always
            )
        }
        return written
    }
}
