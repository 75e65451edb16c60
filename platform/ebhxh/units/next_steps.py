"""The next step of a freshly declared unit, by route and participation, in both languages."""

from __future__ import annotations

from ebhxh.errors.messages import Language
from ebhxh.provinces.model import Route
from ebhxh.units.schemas import NextStep

_STEPS: dict[str, tuple[str, str]] = {
    "register_unit_code": (
        "Thiết lập chữ ký số cho đơn vị, rồi ký nộp hồ sơ đăng ký mã đơn vị với {office}.",
        "Set up the unit's digital signature, then sign and submit the unit-code "
        "registration to {office}.",
    ),
    "paper_registration": (
        "In tờ khai TK3-TS, ký và đóng dấu, rồi nộp cho {office} qua bưu điện hoặc bộ phận "
        "một cửa; khi có mã đơn vị, đăng ký sử dụng dịch vụ BHXH điện tử.",
        "Print the TK3-TS declaration, sign and stamp it, and send it to {office} by post or "
        "at its one-stop desk; once the unit code is issued, register for the electronic "
        "service.",
    ),
    "register_service": (
        "Thiết lập chữ ký số cho đơn vị, rồi đăng ký sử dụng dịch vụ BHXH điện tử (nếu đơn "
        "vị đang dùng nhà cung cấp khác, cần dừng dịch vụ đó trước).",
        "Set up the unit's digital signature, then register for the electronic service (a "
        "unit registered with another provider must stop that service first).",
    ),
}


def next_step(*, route: Route, first_time: bool, office: str, language: Language) -> NextStep:
    """The step that follows declaration for a unit."""
    if not first_time:
        code = "register_service"
    elif route is Route.ELECTRONIC:
        code = "register_unit_code"
    else:
        code = "paper_registration"
    vi, en = _STEPS[code]
    return NextStep(code=code, message=(vi if language == "vi" else en).format(office=office))
