"""The dossier side of switching away from another provider: hold a service registration
while VSS lists another provider, carry VSS's answers to a stop-of-service dossier over to
its switch, and continue the registration once the stop is confirmed.

The switch's own flows (showing it, requesting the stop, checking a portal stop) are in
`ebhxh.switching.service`; both record switch steps through `ebhxh.switching.track`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog

from ebhxh.dossiers.actions import CONTINUE, POLL, POLL_INTERVAL
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.tables import OutboxJob
from ebhxh.dossiers.transitions import transition
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.gateway.contract import (
    DossierKind,
    GatewayRefused,
    GatewayUnavailable,
    Submission,
    VssStatus,
)
from ebhxh.switching.contract import CompetingProvider
from ebhxh.switching.states import SwitchState
from ebhxh.switching.track import move_switch, open_switch, switch_waiting_on

if TYPE_CHECKING:
    from ebhxh.dossiers.service import DossierService

log = structlog.get_logger(__name__)
S = DossierState

PROVIDER = "eBHXH"
"""Our name as VSS records the provider of a unit."""


class StopSteps:
    """Provider-switch steps on the dossiers of one tenant's `DossierService`."""

    def __init__(self, dossiers: DossierService) -> None:
        self.dossiers = dossiers
        self.scope = dossiers.scope

    async def _registered_elsewhere(
        self, tax_code: str
    ) -> tuple[CompetingProvider | None, str] | None:
        """The other provider VSS lists for the tax code (its plugin's descriptor, None when
        no plugin matches) and its name as VSS reports it; None when there is none.
        """
        record = await self.dossiers.gateway.lookup_unit(tax_code)
        if not record.provider or record.provider == PROVIDER:
            return None
        return self.dossiers.catalogue.providers.match(record.provider), record.provider

    async def hold_if_registered_elsewhere(
        self, unit: dict[str, Any], actor: str
    ) -> uuid.UUID | None:
        """A registration held in `awaiting_stop`, with the switch it waits on, when VSS
        lists another provider; None to go ahead.

        VSS not answering does not hold the registration up: it is queued, and if VSS then
        refuses it because another provider is active, the refusal starts the switch.
        """
        try:
            found = await self._registered_elsewhere(unit["tax_code"])
        except GatewayUnavailable:
            log.warning("provider_detection_skipped", reason="vss_unavailable")
            return None
        if found is None:
            return None
        provider, reported = found
        if provider is None:  # no generic plugin loaded: VSS would refuse; say why now
            raise ProblemError(
                ErrorCode.PROVIDER_STILL_ACTIVE,
                status=409,
                params={
                    "provider": reported,
                    "reason": "chưa có plugin nhà cung cấp nào xử lý việc dừng dịch vụ này",
                },
            )
        now = self.dossiers.clock.now()
        async with self.scope.transaction():
            dossier_id = await self.dossiers.insert_draft(
                unit["id"], DossierKind.SERVICE_REGISTRATION, actor
            )
            switch_id = await open_switch(
                self.scope,
                unit_id=unit["id"],
                registration_id=dossier_id,
                provider=provider,
                reported=reported,
                now=now,
                actor=actor,
            )
            await transition(
                self.scope,
                dossier_id,
                S.AWAITING_STOP,
                actor=actor,
                now=now,
                reason=f"VSS báo đơn vị đang dùng dịch vụ của {reported}",
                values={"waiting_for": f"chờ dừng dịch vụ với {provider.display_name}"},
            )
        log.info("provider_switch_detected", switch_id=str(switch_id), provider=provider.key)
        return dossier_id

    async def refused_at_submission(
        self, dossier_id: uuid.UUID, submission: Submission, refused: GatewayRefused
    ) -> None:
        """VSS said no at submission. A stop refused is the switch's news too; a
        registration refused because another provider is active becomes a switch that will
        re-register it once that provider's service is stopped.
        """
        now = self.dossiers.clock.now()
        elsewhere = None
        if refused.code == "provider_active" and (
            submission.kind is DossierKind.SERVICE_REGISTRATION
        ):
            elsewhere = await self._registered_elsewhere(submission.tax_code)
        continuing = None
        async with self.scope.transaction():
            moved = await transition(
                self.scope,
                dossier_id,
                S.REFUSED,
                actor="vss",
                now=now,
                reason=refused.reason,
                values={"reason": refused.reason, "waiting_for": None},
                only_from=S.SUBMITTING,
            )
            if not moved:
                return
            if submission.kind is DossierKind.STOP_SERVICE:
                continuing = await self._settled(dossier_id, confirmed=False, reason=refused.reason)
            elif elsewhere is not None and elsewhere[0] is not None:
                await open_switch(
                    self.scope,
                    unit_id=(await self.dossiers.row(dossier_id))["unit"],
                    registration_id=dossier_id,
                    provider=elsewhere[0],
                    reported=elsewhere[1],
                    now=now,
                    actor="vss",
                )
        if continuing is not None:
            await self.dossiers.enqueue_open_work(continuing)

    async def to_officer(self, dossier_id: uuid.UUID, receipt_id: str) -> None:
        """A stop of service: VSS checks it without an activation code."""
        now = self.dossiers.clock.now()
        await transition(
            self.scope,
            dossier_id,
            S.WITH_OFFICER,
            actor="vss",
            now=now,
            only_from=S.SUBMITTING,
            values={"receipt_id": receipt_id, "waiting_for": "chờ BHXH xác nhận dừng dịch vụ"},
            outbox=[(POLL, now + POLL_INTERVAL)],
        )

    async def apply_decision(
        self, dossier_id: uuid.UUID, status: VssStatus, reason: str | None
    ) -> bool:
        """The officer's decision on a stop dossier; True once decided."""
        if status not in (VssStatus.APPROVED, VssStatus.REJECTED):
            return False
        approved = status is VssStatus.APPROVED
        continuing = None
        async with self.scope.transaction():
            moved = await transition(
                self.scope,
                dossier_id,
                S.APPROVED if approved else S.REJECTED,
                actor="vss",
                now=self.dossiers.clock.now(),
                only_from=S.WITH_OFFICER,
                reason="VSS xác nhận dừng dịch vụ" if approved else reason,
                values={"reason": None if approved else reason, "waiting_for": None},
            )
            if moved:
                continuing = await self._settled(dossier_id, confirmed=approved, reason=reason)
        if continuing is not None:
            await self.dossiers.enqueue_open_work(continuing)
        return True

    async def _settled(
        self, stop_id: uuid.UUID, *, confirmed: bool, reason: str | None
    ) -> uuid.UUID | None:
        """Carry VSS's answer to a stop dossier over to its switch; the registration to
        enqueue once the caller's transaction commits, if the stop was confirmed.
        """
        switch = await switch_waiting_on(self.scope, stop_dossier_id=stop_id)
        if switch is None:
            return None
        if confirmed:
            return await self.confirmed(switch, actor="vss", reason="VSS xác nhận dừng dịch vụ")
        await move_switch(
            self.scope,
            switch["id"],
            SwitchState.STOP_REFUSED,
            actor="vss",
            now=self.dossiers.clock.now(),
            reason=reason,
            values={
                "reason": reason,
                "waiting_for": "BHXH từ chối dừng dịch vụ: sửa theo lý do rồi yêu cầu dừng lại",
            },
        )
        return None

    async def confirmed(
        self, switch: dict[str, Any], *, actor: str, reason: str
    ) -> uuid.UUID | None:
        """The old provider is gone: the switch ends and its registration continues (an
        outbox row, written with the switch's move); the registration's id when it moved.
        Call `enqueue_open_work` with it after the surrounding transaction commits.
        """
        now = self.dossiers.clock.now()
        async with self.scope.transaction():
            moved = await move_switch(
                self.scope,
                switch["id"],
                SwitchState.STOP_CONFIRMED,
                actor=actor,
                now=now,
                reason=reason,
                values={"reason": None, "waiting_for": None},
            )
            if moved:
                await self.scope.insert(
                    OutboxJob,
                    self.scope.new(
                        OutboxJob, dossier=switch["registration"], action=CONTINUE, due_at=now
                    ),
                )
        return uuid.UUID(str(switch["registration"])) if moved else None

    async def continue_registration(self, dossier_id: uuid.UUID) -> None:
        """Sign and submit the registration that waited for the stop (an outbox action)."""
        dossier = await self.dossiers.row(dossier_id)
        state = DossierState(dossier["state"])
        if state in (S.AWAITING_STOP, S.DRAFT):
            await self.dossiers.sign_and_queue(
                dossier_id, DossierKind.SERVICE_REGISTRATION, dossier["unit"], "system"
            )
        elif state is S.REFUSED:  # refused while the old provider was active: a new version
            await self.dossiers.re_register(dossier_id, "system")

    async def start_stop(
        self, unit_id: uuid.UUID, actor: str, previous: uuid.UUID | None
    ) -> uuid.UUID:
        """A stop-of-service dossier (a new version after a refused one), not yet signed."""
        prior = await self.dossiers.row(previous) if previous else None
        if prior is not None and DossierState(prior["state"]) is S.REFUSED:
            await transition(
                self.scope,
                prior["id"],
                S.SUPERSEDED,
                actor=actor,
                now=self.dossiers.clock.now(),
                reason="yêu cầu dừng lại",
            )
        return await self.dossiers.insert_draft(
            unit_id,
            DossierKind.STOP_SERVICE,
            actor,
            prior if prior is not None and prior["state"] != S.DRAFT.value else None,
        )
