"""The switch flows: show a switch, request the stop (a signed dossier to VSS, or the
user's word that they stopped it in the old provider's portal), and check VSS until the
old provider is gone (from a job). Detection and VSS's answers to stop dossiers are
dossier work (`ebhxh.dossiers.service`), which records them through `switching.track`.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from ebhxh.dossiers.service import DossierService
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.stops import PROVIDER
from ebhxh.dossiers.tables import Dossier, OutboxJob
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.switching.contract import CompetingProvider, StopProcedure
from ebhxh.switching.schemas import OldProviderOut, SwitchEventOut, SwitchList, SwitchOut
from ebhxh.switching.states import SwitchState
from ebhxh.switching.tables import ProviderSwitch, ProviderSwitchEvent
from ebhxh.switching.track import move_switch, switch_waiting_on
from ebhxh.units.lookup import unit_row

log = structlog.get_logger(__name__)
W = SwitchState

CHECK_STOP = "check-stop"
"""Outbox action: look the unit up at VSS until the old provider is gone (portal stops)."""
STOPPABLE = (W.DETECTED, W.STOP_REFUSED)


class SwitchService:
    """Switches of the units of the scope's tenant (built on that scope's dossier service)."""

    def __init__(self, dossiers: DossierService) -> None:
        self.dossiers = dossiers
        self.scope = dossiers.scope
        self.providers = dossiers.catalogue.providers
        self.clock = dossiers.clock

    # --- the tenant's actions ------------------------------------------------------------

    async def request_stop(self, switch_id: uuid.UUID, reason: str | None, actor: str) -> SwitchOut:
        """Stop the old provider's service, the way its plugin says VSS takes it."""
        switch = await self._row(switch_id)
        state = SwitchState(switch["state"])
        provider = self._provider(switch)
        if provider.stop_procedure is StopProcedure.PORTAL:
            await self._portal_stop_done(switch, state, actor)
        else:
            await self._stop_by_dossier(switch, state, reason, actor)
        return await self.get(switch_id)

    async def _stop_by_dossier(
        self, switch: dict[str, Any], state: SwitchState, reason: str | None, actor: str
    ) -> None:
        stop_id = switch["stop_dossier"]
        if state is W.STOP_REQUESTED and stop_id and await self._is_draft(stop_id):
            # Signing failed last time (token absent, wrong PIN): sign the same dossier.
            await self.dossiers.sign_and_submit(stop_id, actor)
            return
        self._refuse_unless_stoppable(state)
        async with self.scope.transaction():
            stop_id = await self.dossiers.stops.start_stop(
                switch["unit"], actor, switch["stop_dossier"]
            )
            await move_switch(
                self.scope,
                switch["id"],
                W.STOP_REQUESTED,
                actor=actor,
                now=self.clock.now(),
                reason=reason or "yêu cầu dừng dịch vụ bằng hồ sơ gửi BHXH",
                values={
                    "stop_dossier": stop_id,
                    "stop_reason": reason,
                    "reason": None,
                    "waiting_for": "chờ ký và gửi hồ sơ dừng dịch vụ, rồi BHXH xác nhận",
                },
            )
        await self.dossiers.sign_and_submit(stop_id, actor)

    async def _portal_stop_done(
        self, switch: dict[str, Any], state: SwitchState, actor: str
    ) -> None:
        """The user says they stopped it in the old portal: check VSS now and then later."""
        self._refuse_unless_stoppable(state)
        if await self._old_provider_gone(switch):
            await self._confirmed(switch, actor)
            return
        now = self.clock.now()
        async with self.scope.transaction():
            await move_switch(
                self.scope,
                switch["id"],
                W.STOP_REQUESTED,
                actor=actor,
                now=now,
                reason="người dùng báo đã dừng dịch vụ tại cổng của nhà cung cấp cũ",
                values={
                    "reason": None,
                    "waiting_for": "chờ BHXH ghi nhận việc dừng dịch vụ; hệ thống tự kiểm tra",
                },
            )
            await self.scope.insert(
                OutboxJob,
                self.scope.new(
                    OutboxJob, dossier=switch["registration"], action=CHECK_STOP, due_at=now
                ),
            )
        await self.dossiers.enqueue_open_work(switch["registration"])

    @staticmethod
    def _refuse_unless_stoppable(state: SwitchState) -> None:
        if state not in STOPPABLE:
            raise ProblemError(
                ErrorCode.SWITCH_STATE,
                status=409,
                params={"state": state.value, "target": W.STOP_REQUESTED.value},
            )

    # --- work done by jobs ---------------------------------------------------------------

    async def check_stop(self, registration_id: uuid.UUID) -> bool:
        """Whether VSS no longer lists the old provider; True once settled either way."""
        switch = await switch_waiting_on(self.scope, registration_id=registration_id)
        if switch is None or SwitchState(switch["state"]) is not W.STOP_REQUESTED:
            return True
        if not await self._old_provider_gone(switch):
            return False
        await self._confirmed(switch, "vss")
        return True

    async def _old_provider_gone(self, switch: dict[str, Any]) -> bool:
        unit = await unit_row(self.scope, switch["unit"])
        record = await self.dossiers.gateway.lookup_unit(unit["tax_code"])
        return record.provider in (None, "", PROVIDER)

    async def _confirmed(self, switch: dict[str, Any], actor: str) -> None:
        registration = await self.dossiers.stops.confirmed(
            switch, actor=actor, reason="VSS không còn ghi nhận nhà cung cấp cũ"
        )
        if registration is not None:
            await self.dossiers.enqueue_open_work(registration)
        log.info("provider_switch_confirmed", switch_id=str(switch["id"]))

    # --- reading -------------------------------------------------------------------------

    async def _row(self, switch_id: uuid.UUID) -> dict[str, Any]:
        row: dict[str, Any] | None = (
            await self.scope.select(ProviderSwitch).where(ProviderSwitch.id == switch_id).first()
        )
        if row is None:
            raise ProblemError(ErrorCode.SWITCH_NOT_FOUND, status=404)
        return row

    async def _is_draft(self, dossier_id: uuid.UUID) -> bool:
        row = (
            await self.scope.select(Dossier, Dossier.state).where(Dossier.id == dossier_id).first()
        )
        return row is not None and row["state"] == DossierState.DRAFT.value

    def _provider(self, switch: dict[str, Any]) -> CompetingProvider:
        """The plugin's descriptor; if its plugin was removed since, a minimal one."""
        found = self.providers.by_key(switch["provider_key"]) or self.providers.match(
            switch["reported_provider"]
        )
        return found or CompetingProvider(
            key=switch["provider_key"],
            display_name=switch["reported_provider"],
            names=(),
            stop_procedure=StopProcedure.PORTAL,
        )

    async def get(self, switch_id: uuid.UUID) -> SwitchOut:
        row = await self._row(switch_id)
        events = (
            await self.scope.select(ProviderSwitchEvent)
            .where(ProviderSwitchEvent.switch == switch_id)
            .order_by(ProviderSwitchEvent.at)
        )
        provider = self._provider(row)
        return SwitchOut(
            id=uuid.UUID(str(row["id"])),
            unit_id=uuid.UUID(str(row["unit"])),
            state=SwitchState(row["state"]),
            old_provider=OldProviderOut(
                key=provider.key,
                display_name=provider.display_name,
                reported_name=row["reported_provider"],
                stop_procedure=provider.stop_procedure,
                portal_steps=list(provider.portal_steps),
                requirements=list(provider.requirements),
                support_contact=provider.support_contact,
            ),
            waiting_for=row["waiting_for"],
            reason=row["reason"],
            registration_dossier_id=uuid.UUID(str(row["registration"])),
            stop_dossier_id=uuid.UUID(str(row["stop_dossier"])) if row["stop_dossier"] else None,
            history=[
                SwitchEventOut(
                    at=e["at"],
                    actor=e["actor"],
                    from_state=SwitchState(e["from_state"]) if e["from_state"] else None,
                    to_state=SwitchState(e["to_state"]),
                    reason=e["reason"],
                )
                for e in events
            ],
        )

    async def list_for_unit(self, unit_id: uuid.UUID) -> SwitchList:
        await unit_row(self.scope, unit_id)
        rows = (
            await self.scope.select(ProviderSwitch, ProviderSwitch.id)
            .where(ProviderSwitch.unit == unit_id)
            .order_by(ProviderSwitch.created_at, ascending=False)
        )
        return SwitchList(switches=[await self.get(row["id"]) for row in rows])
