"""The forms of the product and the particulars they are filled from."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec


class FormKind(StrEnum):
    """A form the platform renders and a unit signs."""

    TK3_TS = "tk3-ts"
    """Unit declaration for social and health insurance (Decision 595/QĐ-BHXH, form TK3-TS)."""
    REGISTRATION = "01-dk-gd"
    """Registration for electronic transactions with VSS (01/ĐK-GD) with the provider's
    I-VAN registration (04/ĐK-IVAN)."""
    CHANGE = "change-registration"
    """Change of the registration: a new unit code, certificate or email."""
    STOP = "stop-service"
    """Stop of service with a provider (the unit names the old provider)."""


FORM_TITLES: dict[FormKind, tuple[str, str]] = {
    FormKind.TK3_TS: ("TỜ KHAI THAM GIA, ĐIỀU CHỈNH THÔNG TIN ĐÓNG BHXH, BHYT", "Mẫu TK3-TS"),
    FormKind.REGISTRATION: (
        "TỜ KHAI ĐĂNG KÝ GIAO DỊCH ĐIỆN TỬ TRONG LĨNH VỰC BẢO HIỂM XÃ HỘI",
        "Mẫu 01/ĐK-GD kèm 04/ĐK-IVAN",
    ),
    FormKind.CHANGE: (
        "TỜ KHAI THAY ĐỔI THÔNG TIN ĐĂNG KÝ GIAO DỊCH ĐIỆN TỬ",
        "Thay đổi mã đơn vị, chứng thư số hoặc thư điện tử",
    ),
    FormKind.STOP: (
        "ĐỀ NGHỊ NGỪNG SỬ DỤNG DỊCH VỤ I-VAN",
        "Ngừng dịch vụ với nhà cung cấp cũ",
    ),
}


class UnitParticulars(msgspec.Struct, frozen=True, kw_only=True):
    """What the forms say about the unit; empty strings print as blanks to fill by hand."""

    name: str
    tax_code: str
    unit_code: str = ""
    registered_address: str = ""
    contact_address: str = ""
    unit_type: str = ""
    phone: str = ""
    email: str = ""
    licence_number: str = ""
    licence_date: str = ""
    licence_issuer: str = ""
    contribution_frequency: str = ""
    province_name: str = ""
    office_name: str = ""


class CertificateParticulars(msgspec.Struct, frozen=True, kw_only=True):
    """The signing certificate as 04/ĐK-IVAN names it."""

    serial: str
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime


class FormRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one form is filled from."""

    kind: FormKind
    unit: UnitParticulars
    drawn_up_on: dt.date
    place: str = ""
    certificate: CertificateParticulars | None = None
    provider_name: str = "eBHXH"
    procedures: tuple[str, ...] = ("Thu BHXH, BHYT, BHTN", "Cấp sổ BHXH, thẻ BHYT")
    previous_provider: str = ""
    reason: str = ""
    changes: tuple[tuple[str, str, str], ...] = ()
    """For a change of registration: (what, old value, new value)."""
