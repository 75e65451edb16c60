"""arq jobs of dossiers: run an outbox row, reconcile the outbox, expire activation codes
and signing requests left pending.

The worker's context carries `dossier_services` (a factory of `DossierService` for a
tenant scope), `clock` and the arq `redis`; see `ebhxh.worker.settings`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import structlog

from ebhxh.db.ids import as_aware
from ebhxh.dossiers.outbox import (
    due_jobs,
    expire_activations,
    remind_expiring,
    run_outbox_job,
)

log = structlog.get_logger(__name__)


def outbox_job_id(outbox_id: object, attempts: int, overdue_leases: int = 0) -> str:
    """Arq keeps a job id (and its result) for an hour; the attempt makes retries new jobs.

    A row due for a whole lease without being claimed had its job taken by a worker that
    died before claiming it: arq holds that job id until its in-progress key expires (the
    job timeout), so each lease it stays overdue earns a new id. A row merely queued behind
    others gets a second job at most once per lease; the claim makes the extra a no-op.
    """
    if overdue_leases <= 0:
        return f"outbox:{outbox_id}:{attempts}"
    return f"outbox:{outbox_id}:{attempts}:{overdue_leases}"


async def run_outbox(ctx: dict[str, Any], outbox_id: str) -> str:
    """Do one outbox row's work (idempotent: a second run finds it done or claimed)."""
    result = await run_outbox_job(
        uuid.UUID(outbox_id), ctx["clock"].now(), ctx["dossier_services"], ctx["outbox_lease"]
    )
    log.info("outbox_ran", outbox_id=outbox_id, result=result)
    return result


async def reconcile(ctx: dict[str, Any]) -> int:
    """Re-enqueue every due outbox row: work Redis lost or a killed worker dropped."""
    now = ctx["clock"].now()
    lease: dt.timedelta = ctx["outbox_lease"]
    rows = await due_jobs(now)
    for row in rows:
        overdue = int((now - as_aware(row["due_at"])) / lease)
        await ctx["redis"].enqueue_job(
            "run_outbox",
            str(row["id"]),
            _job_id=outbox_job_id(row["id"], row["attempts"], overdue),
        )
    return len(rows)


async def expire_codes(ctx: dict[str, Any]) -> int:
    """Mark dossiers whose activation code expired; queue reminders for those expiring."""
    now = ctx["clock"].now()
    return await expire_activations(now) + await remind_expiring(now)


async def expire_signatures(ctx: dict[str, Any]) -> int:
    """Settle signing requests left pending past their expiry; their dossiers go back to
    draft with the reason.
    """
    settled: int = await ctx["runtime"].signatures.expire_overdue(ctx["enqueue"])
    return settled


def enqueuer(redis: Any) -> Any:
    """A function that enqueues an outbox row's first run on `redis` (an ArqRedis)."""

    async def enqueue(outbox_id: object) -> None:
        await redis.enqueue_job("run_outbox", str(outbox_id), _job_id=outbox_job_id(outbox_id, 0))

    return enqueue
