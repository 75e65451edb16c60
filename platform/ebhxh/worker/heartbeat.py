"""Each worker's own liveness signal: a Redis key with a TTL that only it refreshes.

arq's health-check key is per queue, so one live worker would make every worker look
alive. This key names the worker and is refreshed by a task inside that worker's process
(not by a queued job, which any worker could pick up), so a probe can tell workers apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any

import structlog

from ebhxh.worker.keys import WORKER_HEARTBEAT_PATTERN, worker_heartbeat

log = structlog.get_logger(__name__)

HEARTBEAT_TTL_SECONDS = 30
HEARTBEAT_INTERVAL_SECONDS = 10


def this_worker_id() -> str:
    """Host name and process id: unique per pod and per process on a host."""
    return f"{socket.gethostname()}-{os.getpid()}"


async def beat_forever(redis: Any, worker_id: str) -> None:
    """Refresh the heartbeat until cancelled; a Redis hiccup is logged, not fatal."""
    key = worker_heartbeat(worker_id)
    while True:
        try:
            await redis.set(key, "1", ex=HEARTBEAT_TTL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - Redis restarting: the next beat retries
            log.warning("heartbeat_failed", error=str(exc))
        await asyncio.sleep(HEARTBEAT_INTERVAL_SECONDS)


async def stop_beating(redis: Any, worker_id: str, task: asyncio.Task[None]) -> None:
    """Cancel the heartbeat and delete the key, so a stopped worker disappears at once."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    with contextlib.suppress(Exception):
        await redis.delete(worker_heartbeat(worker_id))


async def live_workers(redis: Any) -> list[str]:
    """Ids of workers whose heartbeat has not expired."""
    keys = [key async for key in redis.scan_iter(match=WORKER_HEARTBEAT_PATTERN, count=100)]
    return sorted((k.decode() if isinstance(k, bytes) else k).split(":")[2] for k in keys)
