"""Record a switch and its steps: open one, move it along its state table, with the audit
event written in the same transaction. Dossier code calls these; they never call back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.switching.contract import CompetingProvider
from ebhxh.switching.states import OPEN_SWITCH_STATES, SWITCH_TRANSITIONS, SwitchState
from ebhxh.switching.tables import ProviderSwitch, ProviderSwitchEvent

W = SwitchState


def waiting_text(provider: CompetingProvider, reported: str) -> str:
    """What a newly detected switch waits for, said to the tenant."""
    return f"đơn vị đang đăng ký với {provider.display_name} ({reported}): cần dừng dịch vụ đó"


async def open_switch(
    scope: TenantScope,
    *,
    unit_id: uuid.UUID,
    registration_id: uuid.UUID,
    provider: CompetingProvider,
    reported: str,
    now: dt.datetime,
    actor: str,
) -> uuid.UUID:
    """A detected switch for the unit's waiting registration (call inside a transaction)."""
    switch = scope.new(
        ProviderSwitch,
        unit=unit_id,
        registration=registration_id,
        provider_key=provider.key,
        reported_provider=reported,
        state=W.DETECTED.value,
        waiting_for=waiting_text(provider, reported),
    )
    await scope.insert(ProviderSwitch, switch)
    await _event(scope, switch.id, now, actor, None, W.DETECTED, f"VSS báo: {reported}")
    return uuid.UUID(str(switch.id))


async def move_switch(
    scope: TenantScope,
    switch_id: uuid.UUID,
    target: SwitchState,
    *,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Move the switch to `target`; False when it is already there (a job ran twice).

    A move the state table forbids is a 409 naming both states.
    """
    async with scope.transaction():
        row = (
            await scope.select(ProviderSwitch, ProviderSwitch.state)
            .where(ProviderSwitch.id == switch_id)
            .first()
        )
        if row is None:
            raise ProblemError(ErrorCode.SWITCH_NOT_FOUND, status=404)
        source = SwitchState(row["state"])
        if source is target:
            return False
        if target not in SWITCH_TRANSITIONS[source]:
            raise ProblemError(
                ErrorCode.SWITCH_STATE,
                status=409,
                params={"state": source.value, "target": target.value},
            )
        columns = {ProviderSwitch._meta.get_column_by_name(k): v for k, v in (values or {}).items()}
        columns[ProviderSwitch.state] = target.value
        columns[ProviderSwitch.updated_at] = now
        moved = (
            await scope.update(ProviderSwitch, columns)
            .where(ProviderSwitch.id == switch_id, ProviderSwitch.state == source.value)
            .returning(ProviderSwitch.id)
        )
        if not moved:  # another request or job moved it first: theirs stands
            return False
        await _event(scope, switch_id, now, actor, source, target, reason)
    return True


async def switch_waiting_on(
    scope: TenantScope,
    *,
    registration_id: uuid.UUID | None = None,
    stop_dossier_id: uuid.UUID | None = None,
) -> dict[str, Any] | None:
    """The switch a registration waits on, or the one a stop dossier belongs to."""
    query = scope.select(ProviderSwitch)
    if registration_id is not None:
        query = query.where(ProviderSwitch.registration == registration_id)
    if stop_dossier_id is not None:
        query = query.where(ProviderSwitch.stop_dossier == stop_dossier_id)
    row: dict[str, Any] | None = await query.order_by(
        ProviderSwitch.created_at, ascending=False
    ).first()
    return row


async def open_switch_of(scope: TenantScope, unit_id: uuid.UUID) -> bool:
    """Whether the unit has a switch still in progress (at most one: a unique index)."""
    return bool(
        await scope.count(ProviderSwitch).where(
            ProviderSwitch.unit == unit_id,
            ProviderSwitch.state.is_in([state.value for state in OPEN_SWITCH_STATES]),
        )
    )


async def _event(
    scope: TenantScope,
    switch_id: uuid.UUID,
    now: dt.datetime,
    actor: str,
    source: SwitchState | None,
    target: SwitchState,
    reason: str | None,
) -> None:
    await scope.insert(
        ProviderSwitchEvent,
        scope.new(
            ProviderSwitchEvent,
            switch=switch_id,
            at=now,
            actor=actor,
            from_state=source.value if source else None,
            to_state=target.value,
            reason=reason,
        ),
    )
