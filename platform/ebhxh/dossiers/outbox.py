"""Run the outbox: the platform's system side, reading work across tenants.

Outbox rows are written in the transaction of the state change that needs them; this
module claims a due row (pushing its `due_at` forward by a lease, so a second worker or the
reconciliation does not start it again while it runs), performs it in the row's tenant
scope, and marks it done or reschedules it with backoff. A worker killed mid-job leaves the
row undone; once its lease passes, the reconciliation re-enqueues it. Every action is
idempotent (VSS keys submissions; transitions check the state they start from).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import structlog

from ebhxh.db.binding import system_access
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.actions import CONTINUE, POLL, SUBMIT
from ebhxh.dossiers.notifications import NOTIFY_PREFIX, REMIND_BEFORE, Notice
from ebhxh.dossiers.service import DossierService, expire
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.tables import Dossier, OutboxJob
from ebhxh.dossiers.transitions import ClaimedJob, holding
from ebhxh.gateway.contract import GatewayUnavailable
from ebhxh.observability.context import set_request_id
from ebhxh.switching.service import CHECK_STOP, SwitchService

log = structlog.get_logger(__name__)

LEASE = dt.timedelta(seconds=180)
MAX_BACKOFF = dt.timedelta(minutes=10)
MAX_POLL_INTERVAL = dt.timedelta(minutes=5)

ServiceFactory = Callable[[TenantScope], DossierService]


def backoff(attempts: int) -> dt.timedelta:
    """2 s, 4 s, 8 s, ... up to 10 minutes."""
    return min(MAX_BACKOFF, dt.timedelta(seconds=2 ** max(1, attempts)))


async def due_jobs(now: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Outbox rows that are due and not done (for the reconciliation cron)."""
    with system_access():
        rows: list[dict[str, Any]] = await (
            OutboxJob.select(OutboxJob.id, OutboxJob.attempts, OutboxJob.due_at)
            .where(OutboxJob.done_at.is_null(), OutboxJob.due_at <= now)
            .order_by(OutboxJob.due_at)
            .limit(limit)
        )
    return rows


async def run_outbox_job(
    outbox_id: uuid.UUID,
    now: dt.datetime,
    services: ServiceFactory,
    lease: dt.timedelta = LEASE,
) -> str:
    """Do one outbox row's work; returns what happened (for logs and tests).

    The row names its tenant, so only reading and claiming it need system access; the work
    runs in the tenant's scope.
    """
    with system_access():
        # Claim and read in one statement; only a row not claimed is read again, to say why.
        claimed = await (
            OutboxJob.update(
                {OutboxJob.due_at: now + lease, OutboxJob.attempts: OutboxJob.attempts + 1}
            )
            .where(OutboxJob.id == outbox_id, OutboxJob.done_at.is_null(), OutboxJob.due_at <= now)
            .returning(
                OutboxJob.tenant,
                OutboxJob.dossier,
                OutboxJob.action,
                OutboxJob.attempts,
                OutboxJob.request_id,
            )
        )
        if not claimed:
            found = (
                await OutboxJob.select(OutboxJob.done_at).where(OutboxJob.id == outbox_id).first()
            )
            done = found is None or found["done_at"] is not None
            return "done-already" if done else "claimed-elsewhere"
    row = claimed[0]
    held = row["attempts"]  # our claim; a later claim by another worker changes it
    service = services(TenantScope(as_uuid(row["tenant"])))
    dossier_id = as_uuid(row["dossier"])
    job = ClaimedJob(outbox_id, service.scope.tenant_id, dossier_id, held, now)
    set_request_id(row["request_id"] or f"job:{outbox_id}")  # work this job causes inherits it
    structlog.contextvars.bind_contextvars(
        tenant_id=str(row["tenant"]),
        dossier_id=str(dossier_id),
        request_id=row["request_id"] or f"job:{outbox_id}",
    )
    try:
        with holding(job):
            if row["action"] == SUBMIT:
                await service.submit_now(dossier_id)
            elif row["action"].startswith(NOTIFY_PREFIX):
                await service.notify(dossier_id, row["action"].removeprefix(NOTIFY_PREFIX))
            elif row["action"] == CONTINUE:
                await service.stops.continue_registration(dossier_id)
            elif row["action"] in (POLL, CHECK_STOP) and not await _settled(
                service, row["action"], dossier_id
            ):
                # The officer may take days: poll at 2 s, 4 s, 8 s, ... then every 5 minutes.
                next_poll = now + min(MAX_POLL_INTERVAL, backoff(held))
                await _reschedule(outbox_id, held, next_poll, None)
                return "waiting"
    except GatewayUnavailable as exc:
        retry_at = now + backoff(held)
        await _reschedule(outbox_id, held, retry_at, str(exc))
        await _tell_tenant(
            service, dossier_id, f"cổng BHXH không phản hồi; thử lại lúc {retry_at:%H:%M:%S} UTC"
        )
        log.warning("outbox_retry", outbox_id=str(outbox_id), attempts=held)
        return "retry"
    except Exception as exc:
        retry_at = now + backoff(held)
        await _reschedule(outbox_id, held, retry_at, f"{type(exc).__name__}: {exc}")
        await _tell_tenant(
            service,
            dossier_id,
            f"lỗi khi xử lý hồ sơ; hệ thống thử lại lúc {retry_at:%H:%M:%S} UTC",
        )
        log.exception("outbox_failed", outbox_id=str(outbox_id), attempts=held)
        return "failed"
    if not job.done:  # else the work's last transition marked it, in its own transaction
        with system_access():
            await OutboxJob.update({OutboxJob.done_at: now}).where(
                OutboxJob.id == outbox_id, OutboxJob.attempts == held
            )
    return "done"


async def _settled(service: DossierService, action: str, dossier_id: uuid.UUID) -> bool:
    """Poll VSS: the officer's decision, or (for a portal stop) the old provider gone."""
    if action == POLL:
        return await service.poll_now(dossier_id)
    return await SwitchService(service).check_stop(dossier_id)


async def _reschedule(
    outbox_id: uuid.UUID, held: int, due_at: dt.datetime, error: str | None
) -> None:
    """Move the row's due time, unless another worker has claimed it since."""
    with system_access():
        await OutboxJob.update({OutboxJob.due_at: due_at, OutboxJob.last_error: error}).where(
            OutboxJob.id == outbox_id, OutboxJob.attempts == held
        )


async def _tell_tenant(service: DossierService, dossier_id: uuid.UUID, why: str) -> None:
    """Say on the dossier why it waits (only while it is still being submitted)."""
    await service.scope.update(Dossier, {Dossier.waiting_for: why}).where(
        Dossier.id == dossier_id, Dossier.state == DossierState.SUBMITTING.value
    )


async def expire_activations(now: dt.datetime) -> int:
    """Move every dossier whose activation code passed its 24 hours to activation_expired."""
    with system_access():
        rows = await Dossier.select(Dossier.id, Dossier.tenant).where(
            Dossier.state == DossierState.AWAITING_ACTIVATION.value, Dossier.code_expires_at < now
        )
    for row in rows:
        await expire(TenantScope(as_uuid(row["tenant"])), as_uuid(row["id"]), now)
    return len(rows)


async def remind_expiring(now: dt.datetime) -> int:
    """Queue a reminder for every code expiring within 2 hours (once per code)."""
    with system_access():
        rows = await Dossier.select(
            Dossier.id, Dossier.tenant, Dossier.code_expires_at, Dossier.reminded_for
        ).where(
            Dossier.state == DossierState.AWAITING_ACTIVATION.value,
            Dossier.code_expires_at > now,
            Dossier.code_expires_at <= now + REMIND_BEFORE,
        )
    queued = 0
    for row in rows:
        if row["reminded_for"] == row["code_expires_at"]:
            continue
        scope = TenantScope(as_uuid(row["tenant"]))
        async with scope.transaction():
            await scope.update(Dossier, {Dossier.reminded_for: row["code_expires_at"]}).where(
                Dossier.id == row["id"]
            )
            await scope.insert(
                OutboxJob,
                scope.new(OutboxJob, dossier=row["id"], action=Notice.EXPIRING.action, due_at=now),
            )
        queued += 1
    return queued
