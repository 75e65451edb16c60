"""The paper route's flows: prepare the dossier and its printable pack, record that it was
sent, and take the unit code the office issued (checked with VSS), which starts the
electronic service registration straight away.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import structlog

from ebhxh.clock import VIETNAM
from ebhxh.db.errors import is_unique_violation
from ebhxh.documents.forms import FormKind
from ebhxh.documents.paper_pack import CoverLetter, render_paper_pack
from ebhxh.dossiers.service import DossierService
from ebhxh.dossiers.tables import Dossier
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import Language
from ebhxh.gateway.contract import DossierKind
from ebhxh.identifiers import normalise_tracking_number, normalise_unit_code
from ebhxh.paper_route.schemas import PaperDossierOut, SentIn
from ebhxh.paper_route.tables import PaperDossier, PaperState, SendingChannel
from ebhxh.provinces.model import ProvinceRule, Route
from ebhxh.units.forms import form_request
from ebhxh.units.lookup import unit_row
from ebhxh.units.schemas import Particulars
from ebhxh.units.service import check_province_requirements
from ebhxh.units.tables import InsuranceUnit

log = structlog.get_logger(__name__)
P = PaperState

NEXT_STEPS: dict[str, tuple[str, str]] = {
    "print_and_send": (
        "In bộ hồ sơ, ký, đóng dấu và gửi cho {office}; sau đó ghi nhận ngày gửi.",
        "Print the pack, sign and stamp it, send it to {office}; then record when it was sent.",
    ),
    "await_code": (
        "Chờ {office} cấp mã đơn vị; khi có thông báo, nhập mã vào eBHXH.",
        "Wait for {office} to issue the unit code; then enter it in eBHXH.",
    ),
    "registration_started": (
        "Đã ghi nhận mã đơn vị và bắt đầu đăng ký giao dịch điện tử: theo dõi hồ sơ đăng ký.",
        "The unit code is recorded and the electronic service registration has started.",
    ),
    "set_up_signature": (
        "Đã ghi nhận mã đơn vị. Thiết lập chữ ký số rồi đăng ký giao dịch điện tử.",
        "The unit code is recorded. Set up the digital signature, then register for the "
        "electronic service.",
    ),
}


class PaperRouteService:
    """Paper dossiers of the units of the scope's tenant."""

    def __init__(self, dossiers: DossierService, language: Language, today: dt.date) -> None:
        self.dossiers = dossiers
        self.scope = dossiers.scope
        self.catalogue = dossiers.catalogue
        self.clock = dossiers.clock
        self.language = language
        self.today = today
        """The day in Vietnam: the pack is dated by it, a sending date cannot be after it."""

    async def prepare(self, unit_id: uuid.UUID) -> PaperDossierOut:
        """The unit's paper dossier (made on first call; the same one after)."""
        unit = await unit_row(self.scope, unit_id)
        if Route(unit["route"]) is not Route.PAPER or unit["unit_code"]:
            reason = (
                "đơn vị đã có mã đơn vị / the unit already has a unit code"
                if unit["unit_code"]
                else "tỉnh này nhận hồ sơ điện tử / this province takes the electronic route"
            )
            raise ProblemError(
                ErrorCode.PAPER_ROUTE_NOT_NEEDED, status=409, params={"reason": reason}
            )
        if await self._row_or_none(unit_id) is None:
            try:
                await self.scope.insert(
                    PaperDossier,
                    self.scope.new(PaperDossier, unit=unit_id, state=P.PREPARED.value),
                )
            except Exception as exc:
                if not is_unique_violation(exc):  # else a concurrent call made it
                    raise
        return await self.get(unit_id)

    async def pack(self, unit_id: uuid.UUID) -> bytes:
        """The printable pack: cover page to the office, then the route's filled forms."""
        await self._row(unit_id)
        unit = await unit_row(self.scope, unit_id)
        rule = self._rule(unit)
        particulars = Particulars(
            **{name: unit[name] or "" for name in Particulars.__struct_fields__}
        )
        check_province_requirements(self.catalogue, rule, Route.PAPER, particulars)
        versions = rule.forms_for(Route.PAPER)
        cover = CoverLetter(
            unit_name=unit["name"],
            tax_code=unit["tax_code"],
            office_name=rule.office_of.name,
            office_address=rule.office_of.address,
            form_versions=tuple(form.version for form in versions),
            drawn_up_on=self.today,
        )
        forms = [
            form_request(
                unit, FormKind(form.form), catalogue=self.catalogue, drawn_up_on=self.today
            )
            for form in versions
        ]
        return render_paper_pack(cover, forms)

    async def record_sent(self, unit_id: uuid.UUID, sent: SentIn) -> PaperDossierOut:
        """Record (or correct) when and how the pack left; only before the code arrives."""
        row = await self._row(unit_id)
        if PaperState(row["state"]) is P.CODE_RECEIVED:
            raise ProblemError(
                ErrorCode.PAPER_DOSSIER_STATE,
                status=409,
                params={"state": row["state"], "target": P.SENT.value},
            )
        prepared_on = row["prepared_at"].astimezone(VIETNAM).date()
        if not prepared_on <= sent.sent_on <= self.today:
            raise ProblemError(
                ErrorCode.PAPER_SENT_DATE,
                field="sent_on",
                params={"earliest": prepared_on.isoformat(), "latest": self.today.isoformat()},
            )
        tracking = normalise_tracking_number(sent.tracking_number) if sent.tracking_number else None
        if tracking and sent.channel is not SendingChannel.POST:
            raise ProblemError(ErrorCode.PAPER_TRACKING_WITHOUT_POST, field="tracking_number")
        await self.scope.update(
            PaperDossier,
            {
                PaperDossier.state: P.SENT.value,
                PaperDossier.sent_on: sent.sent_on,
                PaperDossier.channel: sent.channel.value,
                PaperDossier.tracking_number: tracking,
                PaperDossier.sent_recorded_at: self.clock.now(),
            },
        ).where(PaperDossier.id == row["id"])
        return await self.get(unit_id)

    async def record_code(self, unit_id: uuid.UUID, unit_code: str, actor: str) -> PaperDossierOut:
        """Take the issued code if VSS lists it for the unit's tax code, then register the
        unit for the electronic service (when its signature is set up).
        """
        code = normalise_unit_code(unit_code)
        row = await self._row(unit_id)
        state = PaperState(row["state"])
        if state is P.CODE_RECEIVED and row["unit_code"] == code:
            return await self.get(unit_id)  # recorded before: the same answer
        if state is not P.SENT:
            raise ProblemError(
                ErrorCode.PAPER_DOSSIER_STATE,
                status=409,
                field="unit_code",
                params={"state": state.value, "target": P.CODE_RECEIVED.value},
            )
        unit = await unit_row(self.scope, unit_id)
        record = await self.dossiers.gateway.lookup_unit(unit["tax_code"])
        if record.unit_code != code:
            raise ProblemError(
                ErrorCode.UNIT_CODE_NOT_AT_VSS,
                status=409,
                field="unit_code",
                params={"value": code, "tax_code": unit["tax_code"]},
            )
        async with self.scope.transaction():
            await self.scope.update(InsuranceUnit, {InsuranceUnit.unit_code: code}).where(
                InsuranceUnit.id == unit_id
            )
            await self.scope.update(
                PaperDossier,
                {
                    PaperDossier.state: P.CODE_RECEIVED.value,
                    PaperDossier.unit_code: code,
                    PaperDossier.code_received_at: self.clock.now(),
                },
            ).where(PaperDossier.id == row["id"], PaperDossier.state == P.SENT.value)
        try:  # straight on into the electronic service registration
            await self.dossiers.create(unit_id, DossierKind.SERVICE_REGISTRATION, actor)
        except ProblemError as cannot:  # e.g. no signature yet: the next step says so
            log.info("paper_registration_deferred", unit_id=str(unit_id), code=cannot.code.value)
        return await self.get(unit_id)

    # --- reading -------------------------------------------------------------------------

    async def _row_or_none(self, unit_id: uuid.UUID) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await self.scope.select(PaperDossier).where(PaperDossier.unit == unit_id).first()
        )
        return row

    async def _row(self, unit_id: uuid.UUID) -> dict[str, Any]:
        await unit_row(self.scope, unit_id)
        row = await self._row_or_none(unit_id)
        if row is None:
            raise ProblemError(ErrorCode.PAPER_DOSSIER_NOT_FOUND, status=404)
        return row

    def _rule(self, unit: dict[str, Any]) -> ProvinceRule:
        resolved = self.catalogue.provinces.resolve(unit["province_code"])
        if resolved is None:  # the plugin serving it was removed since declaration
            raise ProblemError(
                ErrorCode.PROVINCE_UNKNOWN, status=409, params={"value": unit["province_code"]}
            )
        return resolved.rule

    async def _registration(self, unit_id: uuid.UUID) -> uuid.UUID | None:
        """The unit's newest service registration (started here, or by hand later)."""
        row = (
            await self.scope.select(Dossier, Dossier.id)
            .where(
                Dossier.unit == unit_id,
                Dossier.kind == DossierKind.SERVICE_REGISTRATION.value,
            )
            .order_by(Dossier.created_at, ascending=False)
            .first()
        )
        return uuid.UUID(str(row["id"])) if row else None

    async def get(self, unit_id: uuid.UUID) -> PaperDossierOut:
        row = await self._row(unit_id)
        rule = self._rule(await unit_row(self.scope, unit_id))
        state = PaperState(row["state"])
        registration = await self._registration(unit_id) if state is P.CODE_RECEIVED else None
        if state is P.PREPARED:
            step = "print_and_send"
        elif state is P.SENT:
            step = "await_code"
        else:
            step = "registration_started" if registration else "set_up_signature"
        vi, en = NEXT_STEPS[step]
        return PaperDossierOut(
            id=uuid.UUID(str(row["id"])),
            unit_id=unit_id,
            state=state,
            office=rule.office_of.name,
            office_address=rule.office_of.address,
            forms=[form.version for form in rule.forms_for(Route.PAPER)],
            pack_url=f"/units/{unit_id}/paper-dossier/pack",
            prepared_at=row["prepared_at"],
            sent_on=row["sent_on"],
            channel=SendingChannel(row["channel"]) if row["channel"] else None,
            tracking_number=row["tracking_number"],
            unit_code=row["unit_code"],
            code_received_at=row["code_received_at"],
            registration_dossier_id=registration,
            next_step=(vi if self.language == "vi" else en).format(office=rule.office_of.name),
        )
