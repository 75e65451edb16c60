"""arq jobs of employee syncs: run one sync, and re-enqueue the syncs nobody holds.

The worker's context carries `employee_syncs` (a factory of `SyncRunner` for a tenant
scope), `clock` and the arq `redis`; see `ebhxh.worker.settings`.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.outbox import backoff
from ebhxh.employees.recovery import stalled_syncs
from ebhxh.gateway.contract import GatewayUnavailable

log = structlog.get_logger(__name__)

JOB_NAME = "run_employee_sync"
SYNC_TIMEOUT_SECONDS = 3600
"""A sync of a large unit through a slow VSS takes long; its lease, not this, guards it."""


VSS_SILENT = "Cổng BHXH không phản hồi; hệ thống sẽ thử lại / VSS did not answer; retrying"
INTERNAL_ERROR = (
    "Lỗi hệ thống khi đồng bộ; hệ thống sẽ thử lại / An internal error; the sync is retried"
)


def sync_job_id(sync_id: object, attempts: int) -> str:
    """Arq keeps a job id for an hour; the attempt makes a takeover a new job."""
    return f"employee-sync:{sync_id}:{attempts}"


async def run_employee_sync(ctx: dict[str, Any], tenant_id: str, sync_id: str) -> str:
    """Claim the sync and run it to its end (idempotent: a second run finds it held or done)."""
    runner = ctx["employee_syncs"](TenantScope(uuid.UUID(tenant_id)))
    sync = uuid.UUID(sync_id)
    held = await runner.claim(sync)
    if held is None:
        return "claimed-elsewhere"
    structlog.contextvars.bind_contextvars(tenant_id=tenant_id, sync_id=sync_id)
    try:
        result: str = await runner.run(sync, held)
    except GatewayUnavailable as exc:
        retry_at = ctx["clock"].now() + backoff(held)
        await runner.postpone(sync, held, retry_at, VSS_SILENT)
        log.warning("employee_sync_retry", sync_id=sync_id, attempts=held, error=str(exc))
        return "retry"
    except Exception:
        retry_at = ctx["clock"].now() + backoff(held)
        # The details go to the log, not to the tenant (they may name internals).
        log.exception("employee_sync_error", sync_id=sync_id, attempts=held)
        await runner.postpone(sync, held, retry_at, INTERNAL_ERROR)
        return "retry"
    log.info("employee_sync_ran", sync_id=sync_id, result=result)
    return result


async def reconcile_employee_syncs(ctx: dict[str, Any]) -> int:
    """Enqueue every running sync nobody holds: never claimed, or its worker is gone."""
    rows = await stalled_syncs(ctx["clock"].now())
    for row in rows:
        await ctx["redis"].enqueue_job(
            JOB_NAME,
            str(row["tenant"]),
            str(row["id"]),
            _job_id=sync_job_id(row["id"], row["attempts"]),
        )
    return len(rows)


async def enqueue_sync(redis: Any, tenant_id: uuid.UUID, sync_id: uuid.UUID) -> None:
    """The first run of a new sync (the reconciliation covers a lost enqueue)."""
    await redis.enqueue_job(JOB_NAME, str(tenant_id), str(sync_id), _job_id=sync_job_id(sync_id, 0))
