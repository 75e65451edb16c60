"""An open-loop HTTP load generator, run as its own process by the benchmarks: it sends GET
requests at a fixed rate (not "as fast as answers come back"), so a slow answer cannot hide
the requests that should have been sent meanwhile; each latency is measured from the
moment its request was due. Prints one JSON line: sent, answered, errors (and by kind:
refused, an HTTP status >= 400; transport, a connection error; saturated, not sent because
--max-connections were busy; unanswered, no answer 30 s after the last was sent), the
achieved rate and the latency percentiles in ms. The percentiles are of the answered
requests only: a run with errors says less than its p99 suggests.

    python -m bench.loadgen --url http://127.0.0.1:8000/units --rate 800 --seconds 10 \
        --header "Authorization: Bearer …"

HTTP/1.1 keep-alive, one request in flight per connection, as many connections as the
load needs (up to --max-connections). Written on asyncio's Protocol API (on uvloop): the
generator must not be what saturates first, and stream readers parsing line by line cost
it more CPU per request than the server under test spends answering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from typing import cast
from urllib.parse import urlsplit

import uvloop

_TICK = 0.001
_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying at most one request at a time."""

    def __init__(self, load: _Load) -> None:
        self.load = load
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.body_end = -1
        self.due = 0.0
        self.reused = False
        self.busy = False

    def send(self, due: float, reused: bool) -> None:
        assert self.transport is not None
        self.due, self.reused, self.busy = due, reused, True
        self.transport.write(self.load.request)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.body_end < 0:
            head_end = self.buffer.find(_HEADER_END)
            if head_end < 0:
                return
            head = bytes(self.buffer[:head_end]).lower()
            at = head.find(_CONTENT_LENGTH)
            length = 0
            if at >= 0:
                value_end = head.find(b"\r\n", at + 2)
                length = int(head[at + len(_CONTENT_LENGTH) : value_end if value_end > 0 else None])
            self.body_end = head_end + len(_HEADER_END) + length
        if len(self.buffer) >= self.body_end:
            status = int(self.buffer[9:12])
            self.buffer.clear()
            self.body_end = -1
            self.busy = False
            self.load.answered(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost(self)


class _Load:
    """The connection pool and the tally of one run."""

    def __init__(self, host: str, port: int, request: bytes, limit: int) -> None:
        self.host, self.port, self.request, self.limit = host, port, request, limit
        self.idle: list[_Connection] = []
        self.live = 0
        self.opened = 0
        self.in_flight = 0
        self.latencies: list[float] = []
        self.kinds = {"refused": 0, "transport": 0, "saturated": 0}
        self.tasks: set[asyncio.Task[None]] = set()
        self.all_sent = False
        self.drained = asyncio.Event()

    def send(self, due: float) -> None:
        if self.idle:
            self.in_flight += 1
            self.idle.pop().send(due, reused=True)
        elif self.live < self.limit:
            self.in_flight += 1
            self._open_and_send(due)
        else:  # the server is saturated: count it, do not queue forever
            self.kinds["saturated"] += 1

    def _open_and_send(self, due: float) -> None:
        self.live += 1
        self.opened += 1
        task = asyncio.get_running_loop().create_task(self._connect(due))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _connect(self, due: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self), self.host, self.port
            )
        except OSError:
            self.live -= 1
            self.kinds["transport"] += 1
            self._one_done()
            return
        if connection.transport is None or connection.transport.is_closing():
            self.kinds["transport"] += 1  # reset before the request could go out
            self._one_done()
            return
        connection.send(due, reused=False)

    def answered(self, connection: _Connection, status: int) -> None:
        self.latencies.append(time.perf_counter() - connection.due)
        if status >= 400:
            self.kinds["refused"] += 1
        self.idle.append(connection)
        self._one_done()

    def lost(self, connection: _Connection) -> None:
        self.live -= 1
        if connection in self.idle:
            self.idle.remove(connection)
        if not connection.busy:
            return
        connection.busy = False
        if connection.reused and not connection.buffer:
            # The server closed the idle keep-alive connection as this request went out
            # (uvicorn's keep-alive timeout): a client sends it again on a new one.
            self._open_and_send(connection.due)
            return
        self.kinds["transport"] += 1
        self._one_done()

    def finish_sending(self) -> None:
        self.all_sent = True
        if self.in_flight == 0:
            self.drained.set()

    def _one_done(self) -> None:
        self.in_flight -= 1
        if self.all_sent and self.in_flight == 0:
            self.drained.set()

    def close(self) -> None:
        for connection in self.idle:
            if connection.transport is not None:
                connection.transport.close()


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
    load = _Load(host, port, request, limit)
    interval = 1.0 / rate
    start = time.perf_counter()
    sent = 0
    total = int(seconds * rate)
    while sent < total:
        now = time.perf_counter()
        # Everything due by now goes out in this turn of the loop; then sleep until the next.
        while sent < total and start + sent * interval <= now:
            load.send(start + sent * interval)
            sent += 1
        if sent < total:
            # uvloop's timers tick in whole milliseconds: a shorter sleep would spin the
            # loop. A request can go out up to a tick late, which its latency includes.
            await asyncio.sleep(max(_TICK, start + sent * interval - time.perf_counter()))
    load.finish_sending()
    # Still unanswered after 30 s: neither answered nor counted as a latency.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(load.drained.wait(), timeout=30)
    elapsed = time.perf_counter() - start
    load.close()
    load.kinds["unanswered"] = load.in_flight
    return {
        "sent": sent,
        "answered": len(load.latencies),
        "errors": sum(load.kinds.values()),
        **{f"errors_{kind}": count for kind, count in load.kinds.items()},
        "rate": len(load.latencies) / (elapsed if load.in_flight else min(elapsed, seconds)),
        "connections": load.opened,
        **_percentiles(load.latencies),
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
    result = uvloop.run(run(args.url, args.header, args.rate, args.seconds, args.max_connections))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
