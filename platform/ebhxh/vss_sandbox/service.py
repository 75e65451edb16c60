"""What VSS does with dossiers: receive, validate, email codes, activate, decide, register.

Every rule the platform has to cope with lives here: the same idempotency key is one
dossier, an invalid signature is refused with its reason, an activation code lasts 24 hours
and locks after 5 wrong tries, one provider per unit at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
import unicodedata
import uuid
from typing import Any
from xml.etree.ElementTree import ParseError

import msgspec
import structlog
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_untrusted_xml

from ebhxh.clock import Clock
from ebhxh.errors import ProblemError
from ebhxh.gateway.contract import DossierKind, Receipt, Submission, UnitRecord, VssStatus
from ebhxh.text import fold
from ebhxh.vss_sandbox.engine import SandboxSQLiteEngine
from ebhxh.vss_sandbox.mail import Mailer, send_activation_code
from ebhxh.vss_sandbox.settings import AutoDecision, SandboxSettings
from ebhxh.vss_sandbox.tables import VssDossier, VssUnit
from ebhxh.vss_sandbox.validators import Validator, ValidatorsLost

log = structlog.get_logger(__name__)


class Refusal(Exception):
    """VSS says no: `code` is stable, `reason` is for people; `status` is the HTTP status."""

    def __init__(self, code: str, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _refuse_unlike_declaration(declaration: bytes, submission: Submission) -> str:
    """The signed XML declaration must say what the submission says (tax code, name);
    returns the old provider it names (a stop of service), else "".

    Parsed with defusedxml and no DTD allowed: the declaration comes from outside, and a
    document declaring entities (a "billion laughs", an external entity) is refused as soon
    as the parser meets its DTD, before anything is expanded or fetched.
    """
    try:
        root = parse_untrusted_xml(declaration, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Refusal(
            "declaration_forbidden_xml",
            "Tờ khai XML chứa khai báo DTD/thực thể, không được phép.",
        ) from exc
    except ParseError as exc:
        raise Refusal("declaration_unreadable", "Tờ khai XML không đọc được.") from exc
    declared = (
        (root.findtext("ThongTinDonVi/MA_SO_THUE") or "").strip(),
        unicodedata.normalize("NFC", (root.findtext("ThongTinDonVi/TEN_DVI") or "").strip()),
    )
    if declared != (submission.tax_code, unicodedata.normalize("NFC", submission.unit_name)):
        raise Refusal(
            "declaration_mismatch", "Tờ khai đã ký không khớp với thông tin hồ sơ gửi kèm."
        )
    return unicodedata.normalize("NFC", (root.findtext("NoiDung/TEN_IVAN_CU") or "").strip())


def new_unit_code() -> str:
    """A code of the real shape: 3 letters, 3 digits, 1 letter (e.g. TZH490L)."""
    letters, digits = string.ascii_uppercase, string.digits
    return (
        "".join(secrets.choice(letters) for _ in range(3))
        + "".join(secrets.choice(digits) for _ in range(3))
        + secrets.choice(letters)
    )


class Registered(msgspec.Struct, frozen=True, kw_only=True):
    """A unit in the registry, as a submission reads it."""

    tax_code: str
    unit_code: str | None
    provider: str | None
    provider_certificate_sha256: str | None


_DOSSIER_COLUMNS = tuple(VssDossier._meta.columns)
# The submission's statements, written once: Piccolo took longer to build each of them
# than SQLite takes to run it (the sandbox validates every dossier on one thread).
_BY_KEY = "SELECT * FROM vss_dossier WHERE idempotency_key = ?"
_UNIT = (
    "SELECT tax_code, unit_code, provider, provider_certificate_sha256 FROM vss_unit "
    "WHERE tax_code = ?"
)
_NAMES = ", ".join(column._meta.db_column_name for column in _DOSSIER_COLUMNS)
_MARKS = ", ".join("?" for _ in _DOSSIER_COLUMNS)
_INSERT = f"INSERT INTO vss_dossier ({_NAMES}) VALUES ({_MARKS})"  # noqa: S608 - the table's own names
_CODE_ISSUED = (
    "UPDATE vss_dossier SET code_hash = ?, code_expires_at = ?, failed_attempts = 0, "
    "status = ?, email = ? WHERE id = ?"
)


def _engine() -> SandboxSQLiteEngine:
    engine = VssDossier._meta.db
    if not isinstance(engine, SandboxSQLiteEngine):
        raise TypeError("the sandbox's tables are bound to its own SQLite engine")
    return engine


class SandboxService:
    """The sandbox's rules over its own tables."""

    def __init__(self, settings: SandboxSettings, validator: Validator, clock: Clock) -> None:
        self.settings = settings
        self.validator = validator
        self.clock = clock
        self.mailer = Mailer(settings)

    async def submit(self, submission: Submission, key: str) -> Receipt:
        engine = _engine()
        existing = await engine.fetch(_BY_KEY, key)
        if existing:
            await VssDossier.update({VssDossier.deliveries: VssDossier.deliveries + 1}).where(
                VssDossier.id == existing[0]["id"]
            )
            return self._receipt(existing[0])
        try:
            report = await self.validator.validate(
                submission.document, tax_code=submission.tax_code, now=self.clock.now()
            )
        except ProblemError as invalid:
            raise Refusal(
                "invalid_signature", f"Chữ ký số không hợp lệ: {invalid.code.value}"
            ) from invalid
        except ValidatorsLost as lost:
            raise Refusal(
                "unavailable", "Hệ thống kiểm tra chữ ký tạm thời gián đoạn, gửi lại sau.", 503
            ) from lost
        stopping = _refuse_unlike_declaration(report.xml_declaration, submission)
        unit = await self._registered(submission.tax_code)
        await self._refuse_conflicts(submission, unit)
        if submission.kind is DossierKind.STOP_SERVICE:
            _refuse_bad_stop(unit, stopping, report.signer.sha256)
        dossier = VssDossier(
            id=uuid.uuid4(),
            idempotency_key=key,
            kind=submission.kind.value,
            tax_code=submission.tax_code,
            unit_name=submission.unit_name,
            email=submission.email,
            provider=submission.provider,
            unit_code=submission.unit_code,
            status=VssStatus.AWAITING_ACTIVATION.value,
            document_sha256=hashlib.sha256(submission.document).hexdigest(),
            signer_sha256=report.signer.sha256,
            stopping_provider=stopping or None,
        )
        if submission.kind is DossierKind.CHANGE:
            dossier.status = VssStatus.ACCEPTED.value
            await self._insert(dossier)
            await self._register(submission.tax_code, unit_code=submission.unit_code)
            if unit is not None and unit.provider == submission.provider:
                # The provider's unit signs with a new certificate from now on (a renewed
                # token): a later stop must be signed with this one.
                await VssUnit.update(
                    {VssUnit.provider_certificate_sha256: report.signer.sha256}
                ).where(VssUnit.tax_code == submission.tax_code)
            return self._receipt(dossier.to_dict())
        if submission.kind is DossierKind.STOP_SERVICE:  # no activation code: to the officer
            dossier.status = VssStatus.WITH_OFFICER.value
            await self._insert(dossier)
            return await self._auto_decide(str(dossier.id))
        await self._insert(dossier)
        return await self._issue_code(dossier)

    @staticmethod
    async def _insert(dossier: VssDossier) -> None:
        values = dossier.to_dict()
        await _engine().fetch(_INSERT, *(values[column._meta.name] for column in _DOSSIER_COLUMNS))

    @staticmethod
    async def _registered(tax_code: str) -> Registered | None:
        rows = await _engine().fetch(_UNIT, tax_code)
        return Registered(**rows[0]) if rows else None

    async def _refuse_conflicts(self, submission: Submission, unit: Registered | None) -> None:
        if submission.kind is DossierKind.REGISTER_UNIT_CODE and unit and unit.unit_code:
            raise Refusal("unit_exists", f"Mã số thuế đã có mã đơn vị {unit.unit_code}.", 409)
        if submission.kind is DossierKind.SERVICE_REGISTRATION:
            if unit is None or not unit.unit_code:
                raise Refusal("unit_unknown", "Không tìm thấy đơn vị với mã số thuế này.", 404)
            if submission.unit_code and submission.unit_code != unit.unit_code:
                raise Refusal("unit_code_mismatch", "Mã đơn vị không khớp với mã số thuế.", 409)
            if unit.provider and unit.provider != submission.provider:
                raise Refusal(
                    "provider_active",
                    f"Đơn vị đang đăng ký giao dịch điện tử qua {unit.provider}; cần dừng "
                    "dịch vụ đó trước.",
                    409,
                )

    async def _issue_code(self, dossier: VssDossier, email: str | None = None) -> Receipt:
        """Mail a new code for `dossier` (as read or just saved) and store it; the receipt
        as written.
        """
        code = f"{secrets.randbelow(10**6):06d}"
        expires = self.clock.now() + dt.timedelta(hours=self.settings.activation_ttl_hours)
        to = email or dossier.email
        # Mail first: if it cannot be sent, the previous code stays the valid one.
        await send_activation_code(
            self.mailer,
            to=to,
            unit_name=dossier.unit_name,
            receipt_id=str(dossier.id),
            code=code,
            expires_at=expires,
        )
        status = VssStatus.AWAITING_ACTIVATION.value
        await _engine().fetch(_CODE_ISSUED, _hash(code), expires, status, to, dossier.id)
        log.info("vss_activation_code_sent", receipt_id=str(dossier.id))
        written = {"code_expires_at": expires, "status": status, "email": to}
        return self._receipt({**dossier.to_dict(), **written})

    async def _dossier(self, receipt_id: str) -> VssDossier:
        try:
            dossier = await VssDossier.objects().get(VssDossier.id == uuid.UUID(receipt_id))
        except ValueError:
            dossier = None
        if dossier is None:
            raise Refusal("not_found", "Không tìm thấy hồ sơ.", 404)
        return dossier

    async def status(self, receipt_id: str) -> Receipt:
        return self._receipt((await self._dossier(receipt_id)).to_dict())

    async def activate(self, receipt_id: str, code: str) -> Receipt:
        dossier = await self._dossier(receipt_id)
        if dossier.status == VssStatus.ACTIVATION_LOCKED.value:
            raise Refusal("code_locked", "Mã kích hoạt đã bị khóa; hãy yêu cầu mã mới.", 423)
        if dossier.status != VssStatus.AWAITING_ACTIVATION.value:
            if dossier.code_hash == _hash(code):  # a retried activation: same answer
                return self._receipt(dossier.to_dict())
            raise Refusal(
                "not_awaiting_activation", f"Hồ sơ đang ở trạng thái {dossier.status}.", 409
            )
        if dossier.code_expires_at is None or self.clock.now() > dossier.code_expires_at:
            raise Refusal("code_expired", "Mã kích hoạt đã hết hạn; hãy yêu cầu mã mới.", 410)
        if dossier.code_hash != _hash(code):
            counted = (
                await VssDossier.update(
                    {VssDossier.failed_attempts: VssDossier.failed_attempts + 1}
                )
                .where(VssDossier.id == dossier.id)
                .returning(VssDossier.failed_attempts)
            )
            attempts = int(counted[0]["failed_attempts"])  # atomic: concurrent guesses all count
            locked = attempts >= self.settings.max_attempts
            if locked:
                await self._set_status(dossier.id, VssStatus.ACTIVATION_LOCKED)
            if locked:
                raise Refusal("code_locked", "Nhập sai mã quá 5 lần; hãy yêu cầu mã mới.", 423)
            left = self.settings.max_attempts - attempts
            raise Refusal("code_wrong", f"Mã kích hoạt không đúng; còn {left} lần thử.", 422)
        kind = DossierKind(dossier.kind)
        if kind is DossierKind.SERVICE_REGISTRATION:
            await self._set_status(dossier.id, VssStatus.ACTIVE)
            await self._register(
                dossier.tax_code,
                provider=dossier.provider,
                certificate_sha256=dossier.signer_sha256,
            )
        else:
            await self._set_status(dossier.id, VssStatus.WITH_OFFICER)
            return await self._auto_decide(receipt_id)
        return await self.status(receipt_id)

    async def _auto_decide(self, receipt_id: str) -> Receipt:
        """The officer's decision when the sandbox is told to decide by itself (demos)."""
        if self.settings.auto_decision is AutoDecision.APPROVE:
            return await self.approve(receipt_id)
        if self.settings.auto_decision is AutoDecision.REJECT:
            return await self.reject(receipt_id, "Từ chối tự động (môi trường thử nghiệm).")
        return await self.status(receipt_id)

    async def request_new_code(self, receipt_id: str, email: str | None) -> Receipt:
        dossier = await self._dossier(receipt_id)
        waiting = {VssStatus.AWAITING_ACTIVATION.value, VssStatus.ACTIVATION_LOCKED.value}
        if dossier.status not in waiting:
            raise Refusal(
                "not_awaiting_activation", f"Hồ sơ đang ở trạng thái {dossier.status}.", 409
            )
        return await self._issue_code(dossier, email)

    async def approve(self, receipt_id: str) -> Receipt:
        dossier = await self._decidable(receipt_id)
        if dossier.kind == DossierKind.STOP_SERVICE.value:
            await self._set_status(dossier.id, VssStatus.APPROVED)
            await self.stop_provider(dossier.tax_code)
            return await self.status(receipt_id)
        unit_code = new_unit_code()
        while await VssUnit.exists().where(VssUnit.unit_code == unit_code):
            unit_code = new_unit_code()
        await VssDossier.update(
            {VssDossier.status: VssStatus.APPROVED.value, VssDossier.unit_code: unit_code}
        ).where(VssDossier.id == dossier.id)
        await self._register(dossier.tax_code, unit_code=unit_code)
        return await self.status(receipt_id)

    async def reject(self, receipt_id: str, reason: str) -> Receipt:
        dossier = await self._decidable(receipt_id)
        await VssDossier.update(
            {VssDossier.status: VssStatus.REJECTED.value, VssDossier.reason: reason}
        ).where(VssDossier.id == dossier.id)
        return await self.status(receipt_id)

    async def _decidable(self, receipt_id: str) -> VssDossier:
        dossier = await self._dossier(receipt_id)
        if dossier.status != VssStatus.WITH_OFFICER.value:
            raise Refusal("not_with_officer", f"Hồ sơ đang ở trạng thái {dossier.status}.", 409)
        return dossier

    async def lookup(self, tax_code: str) -> UnitRecord:
        unit = await self._registered(tax_code)
        if unit is None:
            return UnitRecord(tax_code=tax_code, unit_code=None, provider=None)
        return UnitRecord(tax_code=tax_code, unit_code=unit.unit_code, provider=unit.provider)

    async def seed_unit(
        self, record: UnitRecord, provider_certificate_sha256: str | None = None
    ) -> UnitRecord:
        """Register an existing unit (tests and demos: a company that already has a code,
        maybe with another provider and the certificate it registered there).
        """
        await self._register(
            record.tax_code,
            unit_code=record.unit_code,
            provider=record.provider,
            certificate_sha256=provider_certificate_sha256,
        )
        return await self.lookup(record.tax_code)

    async def stop_provider(self, tax_code: str) -> UnitRecord:
        """The unit's provider service ends (a confirmed stop, or the old provider's portal)."""
        if not await VssUnit.exists().where(VssUnit.tax_code == tax_code):
            raise Refusal("unit_unknown", "Không tìm thấy đơn vị với mã số thuế này.", 404)
        await VssUnit.update(
            {VssUnit.provider: None, VssUnit.provider_certificate_sha256: None}
        ).where(VssUnit.tax_code == tax_code)
        log.info("vss_provider_stopped", tax_code=tax_code)
        return await self.lookup(tax_code)

    async def _register(
        self,
        tax_code: str,
        *,
        unit_code: str | None = None,
        provider: str | None = None,
        certificate_sha256: str | None = None,
    ) -> None:
        unit = await VssUnit.objects().get(VssUnit.tax_code == tax_code)
        if unit is None:
            await VssUnit(
                tax_code=tax_code,
                unit_code=unit_code,
                provider=provider,
                provider_certificate_sha256=certificate_sha256,
            ).save()
            return
        values: dict[Any, Any] = {}
        if unit_code:
            values[VssUnit.unit_code] = unit_code
        if provider:
            values[VssUnit.provider] = provider
            values[VssUnit.provider_certificate_sha256] = certificate_sha256
        if values:
            await VssUnit.update(values).where(VssUnit.tax_code == tax_code)

    async def _set_status(self, dossier_id: uuid.UUID, status: VssStatus) -> None:
        await VssDossier.update({VssDossier.status: status.value}).where(
            VssDossier.id == dossier_id
        )

    async def deliveries(self) -> dict[str, int]:
        """Per idempotency key, how many times it was delivered (tests count duplicates)."""
        rows = await VssDossier.select(VssDossier.idempotency_key, VssDossier.deliveries)
        return {row["idempotency_key"]: row["deliveries"] for row in rows}

    def _receipt(self, row: dict[str, Any]) -> Receipt:
        expires = row.get("code_expires_at")
        return Receipt(
            receipt_id=str(row["id"]),
            status=VssStatus(row["status"]),
            activation_email=_mask(row["email"]),
            code_expires_at=expires.isoformat() if isinstance(expires, dt.datetime) else expires,
            unit_code=row.get("unit_code"),
            reason=row.get("reason"),
        )


def _refuse_bad_stop(unit: Registered | None, named: str, signer_sha256: str) -> None:
    """A stop must name the provider VSS has for the unit and be signed with the
    certificate registered with that provider.
    """
    if unit is None or not unit.provider:
        raise Refusal("no_active_provider", "Đơn vị không đăng ký với nhà cung cấp nào.", 409)
    if fold(named) != fold(unit.provider):
        raise Refusal(
            "stop_provider_mismatch",
            f"Hồ sơ ngừng dịch vụ ghi nhà cung cấp {named or '(trống)'}, nhưng đơn vị đang "
            f"đăng ký với {unit.provider}.",
        )
    registered = unit.provider_certificate_sha256
    if registered and registered != signer_sha256:
        raise Refusal(
            "stop_certificate_mismatch",
            f"Hồ sơ ngừng dịch vụ phải được ký bằng chứng thư số đã đăng ký với "
            f"{unit.provider} (SHA-256 {registered[:16]}…), không phải chứng thư "
            f"{signer_sha256[:16]}….",
        )


def _mask(email: str) -> str:
    """n***@songhong.vn: enough to recognise the address, not enough to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
