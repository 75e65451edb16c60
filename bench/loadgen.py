"""An open-loop HTTP load generator, run as its own process by the benchmarks: it sends GET
requests at a fixed rate (not "as fast as answers come back"), so a slow answer cannot hide
the requests that should have been sent meanwhile; each latency is measured from the
moment its request was due. Prints one JSON line: sent, answered, errors (and by kind:
refused, an HTTP status >= 400; transport, a connection error; saturated, not sent because
--max-connections were busy), the achieved rate and the latency percentiles in ms.

    python -m bench.loadgen --url http://127.0.0.1:8000/units --rate 800 --seconds 10 \
        --header "Authorization: Bearer …"

HTTP/1.1 keep-alive over asyncio streams, one request in flight per connection, as many
connections as the load needs (up to --max-connections).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed by the server")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


def _request(url: str, headers: list[str]) -> tuple[str, int, bytes]:
    """Host, port and the bytes of the GET request to send again and again."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {host}:{port}",
        *headers,
    ]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def run(
    url: str, headers: list[str], rate: float, seconds: float, limit: int
) -> dict[str, float]:
    host, port, request = _request(url, headers)
    idle: list[_Connection] = []
    opened = 0
    latencies: list[float] = []
    kinds = {"refused": 0, "transport": 0, "saturated": 0}

    async def connect() -> _Connection:
        nonlocal opened
        opened += 1
        return _Connection(*await asyncio.open_connection(host, port))

    async def one(due: float) -> None:
        reused = bool(idle)
        connection = idle.pop() if reused else None
        try:
            connection = connection or await connect()
            try:
                status = await connection.get(request)
            except (ConnectionResetError, asyncio.IncompleteReadError):
                if not reused:
                    raise
                # The server closed the idle keep-alive connection as this request went
                # out (uvicorn's keep-alive timeout): a client sends it again on a new one.
                connection.writer.close()
                connection = await connect()
                status = await connection.get(request)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            kinds["transport"] += 1
            if connection is not None:
                connection.writer.close()
            return
        latencies.append(time.perf_counter() - due)
        if status >= 400:
            kinds["refused"] += 1
        idle.append(connection)

    interval = 1.0 / rate
    start = time.perf_counter()
    tasks: set[asyncio.Task[None]] = set()
    sent = 0
    while (due := start + sent * interval) < start + seconds:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= limit:  # the server is saturated: count it, do not queue forever
            kinds["saturated"] += 1
        else:
            task = asyncio.create_task(one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        sent += 1
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    elapsed = time.perf_counter() - start
    return {
        "sent": sent,
        "answered": len(latencies),
        "errors": sum(kinds.values()),
        **{f"errors_{kind}": count for kind, count in kinds.items()},
        "rate": len(latencies) / elapsed,
        "connections": opened,
        **_percentiles(latencies),
    }


def _percentiles(latencies: list[float]) -> dict[str, float]:
    """p50, p99 and max of `latencies` (seconds), in milliseconds."""
    if not latencies:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"p50_ms": percentile(0.50), "p99_ms": percentile(0.99), "max_ms": 1000 * ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--max-connections", type=int, default=256)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.header, args.rate, args.seconds, args.max_connections))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
