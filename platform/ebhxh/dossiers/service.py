"""The dossier flows: create and sign, submit (from a job), activate, poll the officer's
decision (from a job), ask for a new code, re-register, record the issued unit code.

What a provider switch adds to them (holding a registration, stop dossiers) is in
`ebhxh.dossiers.stops`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import structlog

from ebhxh.db.errors import is_unique_violation
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.documents.forms import FormKind
from ebhxh.dossiers.actions import POLL, POLL_INTERVAL, SUBMIT
from ebhxh.dossiers.certificates import certificate_changes
from ebhxh.dossiers.notifications import Notice, compose
from ebhxh.dossiers.schemas import ActivationHelp, DossierList, DossierOut, EventOut
from ebhxh.dossiers.states import OPEN, DossierState
from ebhxh.dossiers.stops import PROVIDER, StopSteps
from ebhxh.dossiers.tables import Dossier, DossierEvent
from ebhxh.dossiers.transitions import transition
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.gateway.contract import (
    DossierKind,
    GatewayRefused,
    Submission,
    VssGateway,
    VssStatus,
)
from ebhxh.identifiers import normalise_activation_code, normalise_unit_code
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.provinces.model import Route
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.service import SigningService
from ebhxh.signing.tables import SigningRequest, SigningState
from ebhxh.switching.track import open_switch_of, switch_waiting_on
from ebhxh.tenancy.preferences import notification_emails
from ebhxh.tenancy.tables import Membership, Role
from ebhxh.units.lookup import unit_row
from ebhxh.units.tables import InsuranceUnit

log = structlog.get_logger(__name__)

MAX_ACTIVATION_ATTEMPTS = 5
"""Wrong activation codes accepted against one code before the dossier needs a new one."""
S = DossierState

FORMS = {
    DossierKind.REGISTER_UNIT_CODE: FormKind.TK3_TS,
    DossierKind.SERVICE_REGISTRATION: FormKind.REGISTRATION,
    DossierKind.CHANGE: FormKind.CHANGE,
    DossierKind.STOP_SERVICE: FormKind.STOP,
}
WAITING_FOR_STOP = (
    "đang chờ dừng dịch vụ với nhà cung cấp cũ; xem yêu cầu chuyển đổi / "
    "waiting for the old provider's service to stop; see the provider switch"
)
ACTIVATION_CAUSES = [
    "Thư nằm trong hộp thư rác (spam) hoặc quảng cáo.",
    "Địa chỉ email của đơn vị bị nhập sai: sửa địa chỉ rồi yêu cầu mã mới.",
    "Hộp thư đầy hoặc máy chủ thư của doanh nghiệp chặn thư từ bên ngoài.",
    "Mã chỉ có hiệu lực 24 giờ: nếu đã quá hạn, hãy yêu cầu mã mới.",
]
SUBMISSION_COLUMNS = (
    Dossier.state,
    Dossier.kind,
    Dossier.idempotency_key,
    Dossier.unit.tax_code.as_alias("tax_code"),
    Dossier.unit.name.as_alias("unit_name"),
    Dossier.unit.email.as_alias("email"),
    Dossier.unit.unit_code.as_alias("unit_code"),
    Dossier.signing_request.signed_pdf.as_alias("signed_pdf"),
)
"""What a submission reads: the dossier, its unit and its signed document. Made once: each
column reached through a foreign key is a copy Piccolo makes on every access, which took
as long as building the rest of the query (0.2 of 0.5 ms, at every submission)."""
Enqueue = Callable[[uuid.UUID], Awaitable[None]]
SendMail = Callable[[EmailMessage], Awaitable[None]]


async def _no_enqueue(_: uuid.UUID) -> None:
    """Without a queue the reconciliation cron picks the work up."""


async def _no_mail(message: EmailMessage) -> None:
    raise RuntimeError(f"no mail transport configured for {message['Subject']!r}")


class DossierService:
    """Dossiers of the units of the scope's tenant."""

    def __init__(
        self,
        scope: TenantScope,
        *,
        catalogue: PluginCatalogue,
        signing: SigningEnvironment,
        gateway: VssGateway,
        enqueue: Enqueue = _no_enqueue,
        send_mail: SendMail = _no_mail,
    ) -> None:
        self.send_mail = send_mail
        self.scope = scope
        self.catalogue = catalogue
        self.signing = signing
        self.gateway = gateway
        self.enqueue = enqueue
        self.clock = signing.clock
        self.stops = StopSteps(self)
        """The provider-switch steps of this tenant's dossiers."""

    # --- creating and signing ------------------------------------------------------------

    async def _unit(self, unit_id: uuid.UUID) -> dict[str, Any]:
        return await unit_row(self.scope, unit_id)

    async def create(self, unit_id: uuid.UUID, kind: DossierKind, actor: str) -> DossierOut:
        """Make the dossier, sign it with the unit's signature, and queue it for VSS."""
        unit = await self._unit(unit_id)
        draft = await self._check_kind(unit, kind)
        if draft is not None:  # signing failed before (wrong PIN, token absent): try again
            await self.sign_and_queue(draft, kind, unit_id, actor)
            return await self.get(draft)
        if kind is DossierKind.SERVICE_REGISTRATION:
            held = await self.stops.hold_if_registered_elsewhere(unit, actor)
            if held is not None:  # VSS takes one provider at a time: switch first
                return await self.get(held)
        return await self._start(unit_id, kind, actor)

    async def _check_kind(self, unit: dict[str, Any], kind: DossierKind) -> uuid.UUID | None:
        """Refuse a kind the unit cannot have now; the id of its unsigned draft, if any."""

        def refuse(reason: str) -> ProblemError:
            return ProblemError(
                ErrorCode.DOSSIER_KIND_NOT_ALLOWED,
                status=409,
                field="kind",
                params={"value": kind.value, "reason": reason},
            )

        if kind is DossierKind.REGISTER_UNIT_CODE:
            if unit["unit_code"]:
                raise refuse("đơn vị đã có mã đơn vị / the unit already has a unit code")
            if unit["route"] != Route.ELECTRONIC:
                raise refuse("tỉnh này nhận hồ sơ giấy / this province takes the paper route")
        elif kind is DossierKind.SERVICE_REGISTRATION and not unit["unit_code"]:
            raise refuse("đơn vị chưa có mã đơn vị / the unit has no unit code yet")
        elif kind is DossierKind.SERVICE_REGISTRATION and await open_switch_of(
            self.scope, unit["id"]
        ):
            raise refuse(WAITING_FOR_STOP)
        elif kind is DossierKind.CHANGE and not await certificate_changes(self.scope, unit["id"]):
            raise refuse(
                "chỉ khi ghi nhận mã đơn vị hoặc khi đổi chứng thư số đã đăng ký / only when "
                "recording the unit code or changing the registered certificate"
            )
        elif kind is DossierKind.STOP_SERVICE:
            raise refuse("tạo từ yêu cầu chuyển đổi nhà cung cấp / made from the provider switch")
        busy = (
            await self.scope.select(Dossier, Dossier.id, Dossier.state)
            .where(
                Dossier.unit == unit["id"],
                Dossier.kind == kind.value,
                Dossier.state.is_in([state.value for state in OPEN]),
            )
            .first()
        )
        if busy is None:
            return None
        if busy["state"] == S.DRAFT.value:
            return uuid.UUID(str(busy["id"]))
        if busy["state"] == S.AWAITING_STOP.value:
            raise refuse(WAITING_FOR_STOP)
        raise refuse("một hồ sơ cùng loại đang được xử lý / one is already in progress")

    async def _start(
        self,
        unit_id: uuid.UUID,
        kind: DossierKind,
        actor: str,
        previous: dict[str, Any] | None = None,
    ) -> DossierOut:
        dossier_id = await self.insert_draft(unit_id, kind, actor, previous)
        await self.sign_and_queue(dossier_id, kind, unit_id, actor)
        return await self.get(dossier_id)

    async def insert_draft(
        self,
        unit_id: uuid.UUID,
        kind: DossierKind,
        actor: str,
        previous: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        now = self.clock.now()
        dossier = self.scope.new(
            Dossier,
            unit=unit_id,
            kind=kind.value,
            version=(previous["version"] + 1) if previous else 1,
            previous=previous["id"] if previous else None,
            state=S.DRAFT.value,
            idempotency_key=uuid.uuid4().hex,
        )
        async with self.scope.transaction():
            try:
                await self.scope.insert(Dossier, dossier)
            except Exception as exc:
                if is_unique_violation(exc):  # a concurrent create won: one open per kind
                    raise ProblemError(
                        ErrorCode.DOSSIER_KIND_NOT_ALLOWED,
                        status=409,
                        field="kind",
                        params={
                            "value": kind.value,
                            "reason": "một hồ sơ cùng loại đang được "
                            "xử lý / one is already in progress",
                        },
                    ) from exc
                raise
            await self.scope.insert(
                DossierEvent,
                self.scope.new(
                    DossierEvent,
                    dossier=dossier.id,
                    at=now,
                    actor=actor,
                    to_state=S.DRAFT.value,
                    reason=f"phiên bản {dossier.version}" if previous else None,
                ),
            )
        return uuid.UUID(str(dossier.id))

    async def sign_and_queue(
        self, dossier_id: uuid.UUID, kind: DossierKind, unit_id: uuid.UUID, actor: str
    ) -> None:
        now = self.clock.now()
        # A retried draft still names its failed request until the new one exists; the
        # worker's sweep of dossiers left signing on a settled request would read that one
        # and send the dossier back to draft while its new request is being signed.
        await transition(
            self.scope,
            dossier_id,
            S.SIGNING,
            actor=actor,
            now=now,
            values={"signing_request": None},
        )
        signer = SigningService(self.scope, self.catalogue, self.signing)
        stopping = None
        if kind is DossierKind.STOP_SERVICE:
            stopping = await switch_waiting_on(self.scope, stop_dossier_id=dossier_id)
        changes: tuple[tuple[str, str, str], ...] = ()
        if kind is DossierKind.CHANGE:  # a new certificate; a unit code's is in the particulars
            changes = await certificate_changes(self.scope, unit_id)
        try:
            signed = await signer.sign(
                unit_id,
                FORMS[kind],
                previous_provider=stopping["reported_provider"] if stopping else "",
                reason=(stopping["stop_reason"] or "") if stopping else "",
                changes=changes,
            )
        except ProblemError as refused:
            await self._back_to_draft(dossier_id, actor, refused.code.value, only_from=S.SIGNING)
            raise
        if signed.state is not SigningState.SIGNED:
            attached = (
                await self.scope.update(
                    Dossier,
                    {Dossier.signing_request: signed.id, Dossier.waiting_for: signed.waiting_for},
                )
                .where(
                    Dossier.id == dossier_id,
                    Dossier.state == S.SIGNING.value,
                    Dossier.signing_request.is_null(),
                )
                .returning(Dossier.id)
            )
            if not attached:  # given up meanwhile (`signing_interrupted`): stop the signer
                with contextlib.suppress(ProblemError):  # unless it has settled already
                    await signer.fail(signed.id, ErrorCode.SIGNING_REQUEST_EXPIRED)
                return
            await self.signing_settled(signed.id)  # a signer may have settled already
            return
        await self._queue_signed(dossier_id, signed.id, actor)

    async def signing_settled(self, request_id: uuid.UUID, actor: str = "signer") -> bool:
        """Continue the dossier that waits on signing request `request_id`, once it is
        settled: signed -> submitting with its outbox row, or (failed, expired) back to
        draft with the reason. False when no dossier waits on it or it is still pending;
        idempotent (a second call finds the dossier moved on).
        """
        dossier = (
            await self.scope.select(Dossier, Dossier.id)
            .where(Dossier.signing_request == request_id, Dossier.state == S.SIGNING.value)
            .first()
        )
        request = (
            await self.scope.select(
                SigningRequest, SigningRequest.state, SigningRequest.failure_code
            )
            .where(SigningRequest.id == request_id)
            .first()
        )
        if dossier is None or request is None or request["state"] == SigningState.PENDING:
            return False
        dossier_id = uuid.UUID(str(dossier["id"]))
        if request["state"] == SigningState.SIGNED:
            return await self._queue_signed(dossier_id, request_id, actor)
        code = request["failure_code"] or ErrorCode.SIGNING_REQUEST_EXPIRED.value
        return await self._back_to_draft(dossier_id, actor, code, only_from=S.SIGNING)

    async def signing_interrupted(self, dossier_id: uuid.UUID, before: dt.datetime) -> bool:
        """Back to draft, as expired: a dossier in signing since before `before` that never
        got its request (its process died, or its signer call never returned). False if it
        has one now or moved since.
        """
        async with self.scope.transaction():
            # Checked again and the row locked in one statement: an attach waiting on the
            # lock then finds the dossier in draft and fails its request.
            still = (
                await self.scope.update(Dossier, {Dossier.waiting_for: None})
                .where(
                    Dossier.id == dossier_id,
                    Dossier.state == S.SIGNING.value,
                    Dossier.signing_request.is_null(),
                    Dossier.updated_at < before,
                )
                .returning(Dossier.id)
            )
            if not still:
                return False
            code = ErrorCode.SIGNING_REQUEST_EXPIRED.value
            return await self._back_to_draft(dossier_id, "system", code, only_from=S.SIGNING)

    async def waiting_on_signature(self, request_id: uuid.UUID, waiting_for: str) -> None:
        """The dossier signing with `request_id` shows what its signature now waits for."""
        await self.scope.update(Dossier, {Dossier.waiting_for: waiting_for[:255]}).where(
            Dossier.signing_request == request_id, Dossier.state == S.SIGNING.value
        )

    async def _back_to_draft(
        self,
        dossier_id: uuid.UUID,
        actor: str,
        code: str,
        only_from: DossierState | None = None,
    ) -> bool:
        """A failed signing leaves a draft that the next attempt signs."""
        return await transition(
            self.scope,
            dossier_id,
            S.DRAFT,
            actor=actor,
            now=self.clock.now(),
            reason=f"ký số thất bại: {code}",
            values={"waiting_for": None},
            only_from=only_from,
        )

    async def _queue_signed(self, dossier_id: uuid.UUID, request_id: uuid.UUID, actor: str) -> bool:
        async with self.scope.transaction():  # signed and queued together, or neither
            moved = await transition(
                self.scope,
                dossier_id,
                S.SIGNED,
                actor=actor,
                now=self.clock.now(),
                values={"signing_request": request_id},
                only_from=S.SIGNING,
            )
            if not moved:  # settled twice: the first call queued it
                return False
            await transition(
                self.scope,
                dossier_id,
                S.SUBMITTING,
                actor=actor,
                now=self.clock.now(),
                values={"waiting_for": "đang gửi tới cổng BHXH"},
                outbox=[(SUBMIT, self.clock.now())],
            )
        await self.enqueue_open_work(dossier_id)
        return True

    async def enqueue_open_work(self, dossier_id: uuid.UUID) -> None:
        from ebhxh.dossiers.tables import OutboxJob

        rows = await self.scope.select(OutboxJob, OutboxJob.id).where(
            OutboxJob.dossier == dossier_id, OutboxJob.done_at.is_null()
        )
        for row in rows:
            try:
                await self.enqueue(row["id"])
            except Exception as exc:  # noqa: BLE001 - Redis down: the cron re-enqueues
                log.warning("enqueue_failed", outbox_id=str(row["id"]), error=str(exc))

    # --- work done by jobs ---------------------------------------------------------------

    async def submit_now(self, dossier_id: uuid.UUID) -> None:
        """Send the signed dossier to VSS (retried by the outbox until VSS answers)."""
        # The dossier, its unit and its signed document in one statement: this runs once
        # per dossier, and each statement is a transaction of its own (row security).
        dossier = (
            await self.scope.select(Dossier, *SUBMISSION_COLUMNS)
            .where(Dossier.id == dossier_id)
            .first()
        )
        if dossier is None:
            raise ProblemError(ErrorCode.DOSSIER_NOT_FOUND, status=404)
        if DossierState(dossier["state"]) is not S.SUBMITTING:
            return
        if dossier["tax_code"] is None:  # a dossier's unit is never gone: only if unseen
            raise ProblemError(ErrorCode.UNIT_NOT_FOUND, status=404)
        if dossier["signed_pdf"] is None:
            raise RuntimeError(f"dossier {dossier_id} is submitting without a signed document")
        submission = Submission(
            kind=DossierKind(dossier["kind"]),
            tax_code=dossier["tax_code"],
            unit_name=dossier["unit_name"],
            email=dossier["email"],
            provider=PROVIDER,
            document=bytes(dossier["signed_pdf"]),
            unit_code=dossier["unit_code"],
        )
        try:
            receipt = await self.gateway.submit(submission, dossier["idempotency_key"])
        except GatewayRefused as refused:
            await self.stops.refused_at_submission(dossier_id, submission, refused)
            return
        if receipt.status in (VssStatus.WITH_OFFICER, VssStatus.APPROVED, VssStatus.REJECTED):
            await self.stops.to_officer(dossier_id, receipt.receipt_id)
            await self._apply_decision(
                dossier_id, receipt.status, receipt.unit_code, receipt.reason
            )
            return
        target = S.ACCEPTED if receipt.status is VssStatus.ACCEPTED else S.AWAITING_ACTIVATION
        await transition(
            self.scope,
            dossier_id,
            target,
            actor="vss",
            now=self.clock.now(),
            only_from=S.SUBMITTING,
            completes_job=True,
            values={
                "receipt_id": receipt.receipt_id,
                "activation_email": receipt.activation_email,
                "code_expires_at": _parse(receipt.code_expires_at),
                "waiting_for": (
                    f"chờ nhập mã kích hoạt gửi tới {receipt.activation_email}"
                    if target is S.AWAITING_ACTIVATION
                    else None
                ),
            },
        )

    async def sign_and_submit(self, dossier_id: uuid.UUID, actor: str) -> None:
        """Sign a draft (or retry one whose signing failed) and queue it for VSS."""
        dossier = await self.row(dossier_id)
        await self.sign_and_queue(dossier_id, DossierKind(dossier["kind"]), dossier["unit"], actor)

    async def poll_now(self, dossier_id: uuid.UUID) -> bool:
        """Ask VSS for the officer's decision; True once decided (or no longer waiting)."""
        dossier = await self.row(dossier_id)
        if DossierState(dossier["state"]) is not S.WITH_OFFICER:
            return True
        receipt = await self.gateway.status(dossier["receipt_id"])
        return await self._apply_decision(
            dossier_id, receipt.status, receipt.unit_code, receipt.reason
        )

    async def _apply_decision(
        self, dossier_id: uuid.UUID, status: VssStatus, unit_code: str | None, reason: str | None
    ) -> bool:
        kind = DossierKind((await self.row(dossier_id))["kind"])
        if kind is DossierKind.STOP_SERVICE:
            return await self.stops.apply_decision(dossier_id, status, reason)
        now = self.clock.now()
        if status is VssStatus.APPROVED:
            await transition(
                self.scope,
                dossier_id,
                S.APPROVED,
                actor="vss",
                now=now,
                only_from=S.WITH_OFFICER,
                reason=f"mã đơn vị {unit_code}",
                values={
                    "issued_unit_code": unit_code,
                    "waiting_for": "ghi nhận mã đơn vị và ký hồ sơ thay đổi",
                },
                outbox=[(Notice.APPROVED.action, now)],
            )
            return True
        if status is VssStatus.REJECTED:
            await transition(
                self.scope,
                dossier_id,
                S.REJECTED,
                actor="vss",
                now=now,
                only_from=S.WITH_OFFICER,
                reason=reason,
                values={"reason": reason, "waiting_for": None},
                outbox=[(Notice.REJECTED.action, now)],
            )
            return True
        return False

    async def notify(self, dossier_id: uuid.UUID, notice: str) -> None:
        """Email the tenant's admins and HR people, and the addresses its manifest names,
        about the dossier (an outbox action).
        """
        dossier = await self.row(dossier_id)
        still_true = {
            Notice.APPROVED: S.APPROVED,
            Notice.REJECTED: S.REJECTED,
            Notice.EXPIRING: S.AWAITING_ACTIVATION,
            Notice.EXPIRED: S.ACTIVATION_EXPIRED,
        }[Notice(notice)]
        if DossierState(dossier["state"]) is not still_true:  # the news is stale: say nothing
            return
        unit = await self._unit(dossier["unit"])
        rows = await self.scope.select(Membership, Membership.user.email.as_alias("email")).where(
            Membership.role.is_in([Role.ADMIN.value, Role.HR.value])
        )
        also = await notification_emails(self.scope.tenant_id)
        recipients = sorted({row["email"] for row in rows} | set(also))
        if not recipients:
            log.warning("notification_without_recipients", dossier_id=str(dossier_id))
            return
        await self.send_mail(
            compose(
                Notice(notice),
                to=recipients,
                unit_name=unit["name"],
                dossier_kind=dossier["kind"],
                unit_code=dossier["issued_unit_code"],
                reason=dossier["reason"],
                expires_at=dossier["code_expires_at"],
            )
        )

    # --- the tenant's actions ------------------------------------------------------------

    async def activate(self, dossier_id: uuid.UUID, code: str, actor: str) -> DossierOut:
        dossier = await self._expire_if_due(await self.row(dossier_id))
        state = DossierState(dossier["state"])
        if state is S.ACTIVATION_EXPIRED:
            raise ProblemError(ErrorCode.ACTIVATION_CODE_EXPIRED, status=410, field="code")
        if state is not S.AWAITING_ACTIVATION:
            raise ProblemError(
                ErrorCode.DOSSIER_STATE,
                status=409,
                params={"state": state.value, "target": S.WITH_OFFICER.value},
            )
        await self._claim_activation_attempt(dossier_id)
        try:
            receipt = await self.gateway.activate(
                dossier["receipt_id"], normalise_activation_code(code)
            )
        except GatewayRefused as refused:
            if refused.code not in ("code_wrong", "code_locked"):  # no code was checked
                await self._refund_activation_attempt(dossier_id)
            raise self._activation_problem(refused) from refused
        except Exception:  # VSS unreachable or failing: no code was checked
            await self._refund_activation_attempt(dossier_id)
            raise
        now = self.clock.now()
        if receipt.status is VssStatus.ACTIVE:
            await transition(
                self.scope,
                dossier_id,
                S.ACTIVE,
                actor=actor,
                now=now,
                values={"waiting_for": None},
                reason="đã kích hoạt",
            )
        elif receipt.status in (VssStatus.WITH_OFFICER, VssStatus.APPROVED, VssStatus.REJECTED):
            await transition(
                self.scope,
                dossier_id,
                S.WITH_OFFICER,
                actor=actor,
                now=now,
                values={"waiting_for": "chờ cán bộ BHXH xét duyệt"},
                outbox=[(POLL, now + POLL_INTERVAL)],
            )
            await self._apply_decision(
                dossier_id, receipt.status, receipt.unit_code, receipt.reason
            )
        else:
            raise ProblemError(
                ErrorCode.VSS_REFUSED,
                status=409,
                params={"reason": f"VSS reports {receipt.status.value}"},
            )
        return await self.get(dossier_id)

    async def _claim_activation_attempt(self, dossier_id: uuid.UUID) -> None:
        """Count one try against the current code before VSS sees it, or refuse: one atomic
        UPDATE, so concurrent guesses cannot slip more than `MAX_ACTIVATION_ATTEMPTS` past.
        """
        claimed = (
            await self.scope.update(
                Dossier, {Dossier.activation_attempts: Dossier.activation_attempts + 1}
            )
            .where(
                Dossier.id == dossier_id,
                Dossier.activation_attempts < MAX_ACTIVATION_ATTEMPTS,
            )
            .returning(Dossier.id)
        )
        if not claimed:
            raise ProblemError(ErrorCode.ACTIVATION_LOCKED, status=423, field="code")

    async def _refund_activation_attempt(self, dossier_id: uuid.UUID) -> None:
        await self.scope.update(
            Dossier, {Dossier.activation_attempts: Dossier.activation_attempts - 1}
        ).where(Dossier.id == dossier_id, Dossier.activation_attempts > 0)

    def _activation_problem(self, refused: GatewayRefused) -> ProblemError:
        if refused.code == "code_locked":
            return ProblemError(ErrorCode.ACTIVATION_LOCKED, status=423, field="code")
        if refused.code == "code_expired":
            return ProblemError(ErrorCode.ACTIVATION_CODE_EXPIRED, status=410, field="code")
        if refused.code == "code_wrong":
            return ProblemError(
                ErrorCode.ACTIVATION_CODE_WRONG, field="code", params={"reason": refused.reason}
            )
        return ProblemError(ErrorCode.VSS_REFUSED, status=409, params={"reason": refused.reason})

    async def new_code(self, dossier_id: uuid.UUID, email: str | None, actor: str) -> DossierOut:
        """A new activation code (after expiry, a lock, or a lost email), maybe elsewhere."""
        dossier = await self._expire_if_due(await self.row(dossier_id))
        state = DossierState(dossier["state"])
        if state not in (S.AWAITING_ACTIVATION, S.ACTIVATION_EXPIRED):
            raise ProblemError(
                ErrorCode.DOSSIER_STATE,
                status=409,
                params={"state": state.value, "target": S.AWAITING_ACTIVATION.value},
            )
        try:
            receipt = await self.gateway.request_new_code(dossier["receipt_id"], email)
        except GatewayRefused as refused:
            raise ProblemError(
                ErrorCode.VSS_REFUSED, status=409, params={"reason": refused.reason}
            ) from refused
        values = {
            "activation_email": receipt.activation_email,
            "code_expires_at": _parse(receipt.code_expires_at),
            "waiting_for": f"chờ nhập mã kích hoạt gửi tới {receipt.activation_email}",
            "activation_attempts": 0,  # a new code: the tries against the old one are moot
        }
        now = self.clock.now()
        reason = f"mã mới gửi tới {receipt.activation_email}"
        async with self.scope.transaction():  # VSS agreed: now record it, all or nothing
            if email:
                await self.scope.update(InsuranceUnit, {InsuranceUnit.email: email}).where(
                    InsuranceUnit.id == dossier["unit"]
                )
            columns = {Dossier._meta.get_column_by_name(k): v for k, v in values.items()}
            noted = (
                await self.scope.update(Dossier, columns)
                .where(Dossier.id == dossier_id, Dossier.state == S.AWAITING_ACTIVATION.value)
                .returning(Dossier.id)
            )
            if noted:  # still waiting: a new code is an event, not a state change
                await self.scope.insert(
                    DossierEvent,
                    self.scope.new(
                        DossierEvent,
                        dossier=dossier_id,
                        at=now,
                        actor=actor,
                        from_state=S.AWAITING_ACTIVATION.value,
                        to_state=S.AWAITING_ACTIVATION.value,
                        reason=reason,
                    ),
                )
            else:  # expired (maybe just now, by the cron): the new code revives it
                await transition(
                    self.scope,
                    dossier_id,
                    S.AWAITING_ACTIVATION,
                    actor=actor,
                    now=now,
                    values=values,
                    reason=reason,
                )
        return await self.get(dossier_id)

    async def re_register(self, dossier_id: uuid.UUID, actor: str) -> DossierOut:
        """After a rejection or refusal: a new version of the dossier, the old one kept.

        Not while a provider switch owns the next step: a stop is asked again through its
        switch, and a registration refused for another provider continues by itself.
        """
        dossier = await self.row(dossier_id)
        kind = DossierKind(dossier["kind"])
        if kind is DossierKind.STOP_SERVICE or (
            kind is DossierKind.SERVICE_REGISTRATION
            and await open_switch_of(self.scope, dossier["unit"])
        ):
            raise ProblemError(
                ErrorCode.DOSSIER_KIND_NOT_ALLOWED,
                status=409,
                params={"value": kind.value, "reason": WAITING_FOR_STOP},
            )
        await transition(
            self.scope,
            dossier_id,
            S.SUPERSEDED,
            actor=actor,
            now=self.clock.now(),
            reason="đăng ký lại",
        )
        return await self._start(
            dossier["unit"], DossierKind(dossier["kind"]), actor, previous=dossier
        )

    async def record_unit_code(self, unit_id: uuid.UUID, unit_code: str, actor: str) -> DossierOut:
        """Take the code the office issued and sign and submit the change dossier."""
        code = normalise_unit_code(unit_code)
        await self._unit(unit_id)
        approved = (
            await self.scope.select(Dossier)
            .where(
                Dossier.unit == unit_id,
                Dossier.kind == DossierKind.REGISTER_UNIT_CODE.value,
                Dossier.state == S.APPROVED.value,
            )
            .first()
        )
        if approved is None:
            raise ProblemError(
                ErrorCode.DOSSIER_KIND_NOT_ALLOWED,
                status=409,
                field="unit_code",
                params={
                    "value": DossierKind.CHANGE.value,
                    "reason": "chưa có quyết định cấp mã / no approved registration yet",
                },
            )
        if approved["issued_unit_code"] and approved["issued_unit_code"] != code:
            raise ProblemError(
                ErrorCode.DOSSIER_KIND_NOT_ALLOWED,
                field="unit_code",
                params={
                    "value": DossierKind.CHANGE.value,
                    "reason": f"mã được cấp là {approved['issued_unit_code']}",
                },
            )
        earlier = (
            await self.scope.select(Dossier, Dossier.id, Dossier.state)
            .where(
                Dossier.unit == unit_id,
                Dossier.kind == DossierKind.CHANGE.value,
                Dossier.state.not_in([S.REFUSED.value, S.SUPERSEDED.value]),
            )
            .first()
        )
        if earlier is not None:  # recorded before: the same change dossier, not a second one
            earlier_id = uuid.UUID(str(earlier["id"]))
            if earlier["state"] == S.DRAFT.value:
                await self.sign_and_queue(earlier_id, DossierKind.CHANGE, unit_id, actor)
            return await self.get(earlier_id)
        async with self.scope.transaction():
            await self.scope.update(InsuranceUnit, {InsuranceUnit.unit_code: code}).where(
                InsuranceUnit.id == unit_id
            )
            await self.scope.update(Dossier, {Dossier.waiting_for: None}).where(
                Dossier.id == approved["id"]
            )
        return await self._start(unit_id, DossierKind.CHANGE, actor)

    # --- reading -------------------------------------------------------------------------

    async def row(self, dossier_id: uuid.UUID) -> dict[str, Any]:
        row: dict[str, Any] | None = (
            await self.scope.select(Dossier).where(Dossier.id == dossier_id).first()
        )
        if row is None:
            raise ProblemError(ErrorCode.DOSSIER_NOT_FOUND, status=404)
        return row

    async def _expire_if_due(self, row: dict[str, Any]) -> dict[str, Any]:
        expires = row["code_expires_at"]
        if row["state"] == S.AWAITING_ACTIVATION and expires and self.clock.now() > expires:
            await expire(self.scope, row["id"], self.clock.now())
            return await self.row(row["id"])
        return row

    async def get(self, dossier_id: uuid.UUID) -> DossierOut:
        row = await self._expire_if_due(await self.row(dossier_id))
        events = (
            await self.scope.select(DossierEvent)
            .where(DossierEvent.dossier == dossier_id)
            .order_by(DossierEvent.at)
        )
        switch = None
        if row["kind"] == DossierKind.SERVICE_REGISTRATION.value:
            switch = await switch_waiting_on(self.scope, registration_id=dossier_id)
        return _out(row, events, uuid.UUID(str(switch["id"])) if switch else None)

    async def list_for_unit(self, unit_id: uuid.UUID) -> DossierList:
        await self._unit(unit_id)
        rows = (
            await self.scope.select(Dossier, Dossier.id)
            .where(Dossier.unit == unit_id)
            .order_by(Dossier.created_at, ascending=False)
        )
        return DossierList(dossiers=[await self.get(row["id"]) for row in rows])


async def expire(scope: TenantScope, dossier_id: uuid.UUID, now: dt.datetime) -> None:
    """24 hours passed without activation: the tenant must ask for a new code."""
    await transition(
        scope,
        dossier_id,
        S.ACTIVATION_EXPIRED,
        actor="system",
        now=now,
        only_from=S.AWAITING_ACTIVATION,
        reason="mã kích hoạt hết hạn sau 24 giờ",
        values={"waiting_for": "mã kích hoạt đã hết hạn: yêu cầu mã mới"},
        outbox=[(Notice.EXPIRED.action, now)],
    )


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _out(
    row: dict[str, Any], events: list[dict[str, Any]], switch_id: uuid.UUID | None
) -> DossierOut:
    state = DossierState(row["state"])
    activation = None
    if state in (S.AWAITING_ACTIVATION, S.ACTIVATION_EXPIRED):
        activation = ActivationHelp(
            sent_to=row["activation_email"],
            expires_at=row["code_expires_at"],
            common_causes=ACTIVATION_CAUSES,
        )
    return DossierOut(
        id=uuid.UUID(str(row["id"])),
        unit_id=uuid.UUID(str(row["unit"])),
        kind=DossierKind(row["kind"]),
        version=row["version"],
        previous_id=uuid.UUID(str(row["previous"])) if row["previous"] else None,
        state=state,
        waiting_for=row["waiting_for"],
        reason=row["reason"],
        receipt_id=row["receipt_id"],
        issued_unit_code=row["issued_unit_code"],
        activation=activation,
        provider_switch_id=switch_id,
        signing_request_id=(
            uuid.UUID(str(row["signing_request"])) if row["signing_request"] else None
        ),
        history=[
            EventOut(
                at=e["at"],
                actor=e["actor"],
                from_state=DossierState(e["from_state"]) if e["from_state"] else None,
                to_state=DossierState(e["to_state"]),
                reason=e["reason"],
            )
            for e in events
        ],
    )
