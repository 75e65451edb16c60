"""Apply a transition: check it against the table, update the dossier, write the audit event
and any outbox work, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.states import DossierState, allowed
from ebhxh.dossiers.tables import Dossier, DossierEvent, OutboxJob
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.observability.context import current_request_id


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
) -> bool:
    """Move the dossier to `target`; False (nothing written) when `only_from` no longer holds.

    `only_from` is for jobs, which may run twice: the second run finds the state moved on
    and does nothing. Without it, a transition the table forbids is a 409 naming the state.
    """
    async with scope.transaction():
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
        columns = {Dossier._meta.get_column_by_name(k): v for k, v in (values or {}).items()}
        columns[Dossier.state] = target.value
        columns[Dossier.updated_at] = now
        updated = (
            await scope.update(Dossier, columns)
            .where(Dossier.id == dossier_id, Dossier.state == source.value)
            .returning(Dossier.id)
        )
        if not updated:  # someone else moved it between our read and write
            if only_from is not None:
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
    return True
