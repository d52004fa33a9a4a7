"""Python HTTP clients on the same server, for comparison: httpx with tenacity retries, and aiohttp.

usage: python_clients.py URL SECONDS CONCURRENCY
"""
import asyncio
import sys
import time

import aiohttp
import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential


async def run(label, one, seconds, concurrency):
    for _ in range(5):
        await asyncio.gather(*(one() for _ in range(concurrency)))
    done = 0
    failed = 0
    end = time.monotonic() + seconds
    start = time.monotonic()

    async def worker():
        nonlocal done, failed
        while time.monotonic() < end:
            try:
                await one()
            except Exception:
                failed += 1
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = done / (time.monotonic() - start)
    print(f"  {label:<52} {rate:9.0f} requests/s ({failed} failed)", flush=True)


async def main():
    url, seconds, concurrency = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def httpx_one():
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(4),
                wait=wait_random_exponential(multiplier=0.2, max=10),
                retry=retry_if_exception_type(httpx.TransportError),
                reraise=True,
            ):
                with attempt:
                    response = await client.get(url)
                    response.raise_for_status()
                    response.json()

        await run("Python httpx + tenacity", httpx_one, seconds, concurrency)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def aiohttp_one():
            async with session.get(url) as response:
                response.raise_for_status()
                await response.json()

        await run("Python aiohttp", aiohttp_one, seconds, concurrency)


asyncio.run(main())
