"""Build the arq worker: its jobs, and the start-up and shutdown around them."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from arq import Worker
from arq.connections import RedisSettings

from ebhxh.worker.heartbeat import beat_forever, stop_beating, this_worker_id
from ebhxh.worker.jobs import canary

log = structlog.get_logger(__name__)

JOB_FUNCTIONS = (canary,)


async def _on_startup(ctx: dict[str, Any]) -> None:
    ctx["worker_id"] = this_worker_id()
    ctx["heartbeat"] = asyncio.create_task(beat_forever(ctx["redis"], ctx["worker_id"]))
    log.info("worker_started", worker_id=ctx["worker_id"])


async def _on_shutdown(ctx: dict[str, Any]) -> None:
    if "heartbeat" in ctx:
        await stop_beating(ctx["redis"], ctx["worker_id"], ctx["heartbeat"])
    log.info("worker_stopped", worker_id=ctx.get("worker_id"))


async def _on_job_start(ctx: dict[str, Any]) -> None:
    structlog.contextvars.bind_contextvars(job_id=ctx.get("job_id"))


async def _on_job_end(ctx: dict[str, Any]) -> None:
    structlog.contextvars.unbind_contextvars("job_id")


def build_worker(redis_settings: RedisSettings, queue_name: str, **overrides: Any) -> Worker:
    """An arq worker on `queue_name` with every platform job registered."""
    options: dict[str, Any] = {
        "functions": list(JOB_FUNCTIONS),
        "redis_settings": redis_settings,
        "queue_name": queue_name,
        "on_startup": _on_startup,
        "on_shutdown": _on_shutdown,
        "on_job_start": _on_job_start,
        "on_job_end": _on_job_end,
        "handle_signals": False,
        "job_completion_wait": 30,
    }
    options.update(overrides)
    return Worker(**options)
