"""Build the arq worker: its jobs, crons, and the start-up and shutdown around them."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import structlog
from arq import Worker, cron, func
from arq.connections import RedisSettings

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.jobs import enqueuer, expire_codes, expire_signatures, reconcile, run_outbox
from ebhxh.employees.jobs import (
    SYNC_TIMEOUT_SECONDS,
    reconcile_employee_syncs,
    run_employee_sync,
)
from ebhxh.metrics.jobs import measured
from ebhxh.sso.jobs import sweep_sso_sessions
from ebhxh.worker.heartbeat import beat_forever, stop_beating, this_worker_id
from ebhxh.worker.jobs import canary
from ebhxh.worker.queue_reading import SharedQueueWorker

if TYPE_CHECKING:
    from ebhxh.runtime import Runtime

log = structlog.get_logger(__name__)

JOB_FUNCTIONS = (
    func(measured(canary)),
    func(measured(run_outbox)),
    # A sync outlives the job timeout; a stop mid-sync loses at most a page (it resumes).
    func(measured(run_employee_sync), timeout=SYNC_TIMEOUT_SECONDS, max_tries=1),
)
EVERY_5_SECONDS = set(range(0, 60, 5))
POLL_SECONDS = 0.05
"""How often arq looks for new jobs. It starts jobs only when it looks: at its default of
0.5 s, a worker whose jobs take 50 ms stays idle most of each interval and tops out at
`max_jobs` jobs per half second. A look is one Redis round trip."""


def build_worker(
    runtime: Runtime, redis_settings: RedisSettings, queue_name: str, **overrides: Any
) -> Worker:
    """An arq worker on `queue_name` with every platform job and cron registered.

    Jobs may run `job_timeout_seconds`; on a graceful stop (`ebhxh worker` on SIGTERM) the
    worker takes no new job and waits as long for running ones (`job_completion_wait`).
    """
    timeout = runtime.settings.job_timeout_seconds

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["worker_id"] = runtime.settings.worker_id or this_worker_id()
        ctx["clock"] = runtime.clock
        ctx["outbox_lease"] = dt.timedelta(seconds=runtime.settings.outbox_lease_seconds)
        enqueue = enqueuer(ctx["redis"])
        ctx["dossier_services"] = lambda scope: runtime.dossiers(scope, enqueue)
        # What plugin jobs get (see ebhxh.worker.contract).
        ctx["runtime"] = runtime
        ctx["tenant_scope"] = TenantScope
        ctx["enqueue"] = enqueue
        ctx["employee_syncs"] = runtime.employee_syncs
        # httpx's first request imports anyio's event-loop backend (compiling it where there
        # is no bytecode cache: 0.1 to 0.3 s of CPU); here it is paid before the first job.
        await anyio.lowlevel.checkpoint()
        ctx["heartbeat"] = asyncio.create_task(beat_forever(ctx["redis"], ctx["worker_id"]))
        log.info("worker_started", worker_id=ctx["worker_id"])

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "heartbeat" in ctx:
            await stop_beating(ctx["redis"], ctx["worker_id"], ctx["heartbeat"])
        log.info("worker_stopped", worker_id=ctx.get("worker_id"))

    async def on_job_start(ctx: dict[str, Any]) -> None:
        structlog.contextvars.bind_contextvars(job_id=ctx.get("job_id"))

    async def on_job_end(ctx: dict[str, Any]) -> None:
        structlog.contextvars.unbind_contextvars(
            "job_id", "tenant_id", "dossier_id", "sync_id", "request_id"
        )

    plugin_functions, plugin_crons = runtime.catalogue.worker_jobs()
    options: dict[str, Any] = {
        "functions": [*JOB_FUNCTIONS, *plugin_functions],
        "cron_jobs": [
            cron(measured(reconcile), second=EVERY_5_SECONDS, run_at_startup=True),
            cron(measured(expire_codes), second=EVERY_5_SECONDS),
            cron(measured(expire_signatures), second=EVERY_5_SECONDS),
            cron(measured(reconcile_employee_syncs), second=EVERY_5_SECONDS, run_at_startup=True),
            cron(measured(sweep_sso_sessions), minute=17, second=0),
            *plugin_crons,
        ],
        "redis_settings": redis_settings,
        "queue_name": queue_name,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "on_job_start": on_job_start,
        "on_job_end": on_job_end,
        "handle_signals": False,
        "job_timeout": timeout,
        "job_completion_wait": timeout,
        "max_tries": 5,
        "max_jobs": runtime.settings.worker_max_jobs,
        "queue_read_limit": runtime.settings.queue_read,
        "poll_delay": POLL_SECONDS,
    }
    options.update(overrides)
    return SharedQueueWorker(**options)
