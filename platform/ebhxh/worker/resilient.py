"""Keep a process's arq worker alive across a Redis restart.

arq's loop dies when Redis drops a connection in the middle of certain commands (a WATCH
before taking a job raises `WatchError`, whatever the retry policy). The process would
then live on without consuming the queue (`ebhxh serve` with its in-process worker) or
exit (`ebhxh worker`). Here a new arq worker replaces the dead one on the same runtime,
once the dead one is closed (`close_dead_worker`). Redis gone for good
still ends the process: more than `MAX_LOSSES` losses within a minute re-raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog
from arq import Worker
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

REDIS_LOST = (RedisError, OSError)
MAX_LOSSES = 5
WINDOW_SECONDS = 60.0


async def run_replacing_on_redis_loss(
    build: Callable[[], Worker], on_new: Callable[[Worker], None] = lambda _: None
) -> None:
    """Run `build()`'s worker until it stops (cancelled: a graceful stop); build another
    when Redis was lost under it. `on_new` learns each worker (for signal handlers).
    """
    losses: list[float] = []
    while True:
        worker = build()
        on_new(worker)
        try:
            await worker.async_run()
            return
        except REDIS_LOST as exc:
            now = time.monotonic()
            losses = [at for at in losses if now - at < WINDOW_SECONDS] + [now]
            if len(losses) > MAX_LOSSES:
                raise
            log.warning("worker_redis_lost", error=f"{type(exc).__name__}: {exc}")
        finally:
            await close_dead_worker(worker)
        await asyncio.sleep(1)


async def close_dead_worker(worker: Worker) -> None:
    """Stop a worker whose loop died, whatever state Redis is in: its running jobs are
    cancelled (arq re-queues what it can; the outbox lease hands on the rest) and its
    heartbeat stops.

    arq's `close` cancels the jobs, then gathers them; a job cancelled before arq's own
    handler ran ends cancelled, and the gather passes that on. That is not this task being
    cancelled: taken for one, it ended the whole `ebhxh worker` process in silence (a
    proof run lost a worker to it during a Redis restart).
    """
    try:
        await worker.close()
        return
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # this process is being stopped
    except REDIS_LOST:
        pass
    # `close` stopped before its shutdown hook: stop the heartbeat without asking Redis,
    # which may still be away (its key expires by itself; the next loop beats anew).
    heartbeat = worker.ctx.get("heartbeat")
    if isinstance(heartbeat, asyncio.Task):
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
