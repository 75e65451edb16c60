"""Apply a transition: check it against the table, update the dossier, write the audit event
and any outbox work, all in one transaction.

A job's last transition can also mark the job's outbox row done in that transaction
(`completes_job`): the new state and the end of the work that produced it commit together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.states import DossierState, allowed
from ebhxh.dossiers.tables import Dossier, DossierEvent, OutboxJob
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.observability.context import current_request_id


@dataclass
class ClaimedJob:
    """The outbox row the current job holds: marked done where its work ends."""

    outbox_id: uuid.UUID
    tenant_id: uuid.UUID
    dossier_id: uuid.UUID
    attempts: int
    """Its `attempts` when claimed: a later claim by another worker changes it."""
    now: dt.datetime
    done: bool = False
    """Set once a transition has marked the row done (and committed)."""


_CLAIMED: ContextVar[ClaimedJob | None] = ContextVar("ebhxh_claimed_outbox_job", default=None)


@contextmanager
def holding(job: ClaimedJob) -> Iterator[ClaimedJob]:
    """Run the enclosed work as the job that claimed `job` (see `completes_job`)."""
    token = _CLAIMED.set(job)
    try:
        yield job
    finally:
        _CLAIMED.reset(token)


def _completed_here(scope: TenantScope, dossier_id: uuid.UUID) -> ClaimedJob | None:
    """The job in hand, if it is this dossier's in this scope's tenant."""
    job = _CLAIMED.get()
    if job is None or job.dossier_id != dossier_id or job.tenant_id != scope.tenant_id:
        return None
    return job


async def transition(
    scope: TenantScope,
    dossier_id: uuid.UUID,
    target: DossierState,
    *,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
    outbox: Sequence[tuple[str, dt.datetime]] = (),
    only_from: DossierState | None = None,
    completes_job: bool = False,
) -> bool:
    """Move the dossier to `target`; False (nothing written) when `only_from` no longer holds.

    `only_from` is for jobs, which may run twice: the second run finds the state moved on
    and does nothing. Without it, a transition the table forbids is a 409 naming the state.
    `completes_job`: this transition ends the work of the outbox job running it (if it is
    this dossier's), which is marked done in the same transaction.
    """
    columns = {Dossier._meta.get_column_by_name(k): v for k, v in (values or {}).items()}
    columns[Dossier.state] = target.value
    columns[Dossier.updated_at] = now
    job = _completed_here(scope, dossier_id) if completes_job else None
    async with scope.transaction():
        if only_from is not None and allowed(only_from, target):
            source = only_from  # the update below checks it: a job's transition reads nothing
        else:
            row = await scope.select(Dossier, Dossier.state).where(Dossier.id == dossier_id).first()
            if row is None:
                raise ProblemError(ErrorCode.DOSSIER_NOT_FOUND, status=404)
            source = DossierState(row["state"])
            if only_from is not None and source is not only_from:
                return False
            if not allowed(source, target):
                raise ProblemError(
                    ErrorCode.DOSSIER_STATE,
                    status=409,
                    params={"state": source.value, "target": target.value},
                )
        # Only from the state expected: someone may have moved the dossier since we read it.
        updated = (
            await scope.update(Dossier, columns)
            .where(Dossier.id == dossier_id, Dossier.state == source.value)
            .returning(Dossier.id)
        )
        if not updated:
            if only_from is not None:  # moved on (a second run of the job), or not there
                if not await scope.count(Dossier).where(Dossier.id == dossier_id):
                    raise ProblemError(ErrorCode.DOSSIER_NOT_FOUND, status=404)
                return False
            raise ProblemError(
                ErrorCode.DOSSIER_STATE,
                status=409,
                params={"state": "changed concurrently", "target": target.value},
            )
        await scope.insert(
            DossierEvent,
            scope.new(
                DossierEvent,
                dossier=dossier_id,
                at=now,
                actor=actor,
                from_state=source.value,
                to_state=target.value,
                reason=reason,
            ),
        )
        for action, due_at in outbox:
            await scope.insert(
                OutboxJob,
                scope.new(
                    OutboxJob,
                    dossier=dossier_id,
                    action=action,
                    due_at=due_at,
                    request_id=current_request_id(),
                ),
            )
        if job is not None:
            await scope.update(OutboxJob, {OutboxJob.done_at: job.now}).where(
                OutboxJob.id == job.outbox_id, OutboxJob.attempts == job.attempts
            )
    if job is not None:
        job.done = True
    return True
