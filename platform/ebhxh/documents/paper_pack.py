"""The paper route's printable pack: one PDF with a cover page addressed to the unit's
social-insurance office (what is inside, how to send it) and the filled forms, laid out to
be signed by hand and stamped.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import msgspec

from ebhxh.documents.forms import FORM_TITLES, FormRequest
from ebhxh.documents.render import FONT_FAMILY, SIGNED_BY_HAND, draw_form, new_document

PACK_TITLE = "HỒ SƠ ĐĂNG KÝ THAM GIA BẢO HIỂM XÃ HỘI, BẢO HIỂM Y TẾ LẦN ĐẦU"
ATTACHMENTS = (
    "Bản sao Giấy chứng nhận đăng ký doanh nghiệp (hoặc giấy phép hoạt động, quyết định "
    "thành lập) của đơn vị.",
)


class CoverLetter(msgspec.Struct, frozen=True, kw_only=True):
    """Who sends the pack to whom, and the versions of the forms inside."""

    unit_name: str
    tax_code: str
    office_name: str
    office_address: str | None
    form_versions: tuple[str, ...]
    """One line per form, in the order the forms follow the cover."""
    drawn_up_on: dt.date


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def cover_lines(cover: CoverLetter) -> list[str]:
    """The cover page's text, line by line (also what a reader extracts back)."""
    office = cover.office_name
    lines = [
        PACK_TITLE,
        f"Kính gửi: {office}",
    ]
    if cover.office_address:
        lines.append(f"Địa chỉ: {cover.office_address}")
    lines += [
        f"Đơn vị: {cover.unit_name}",
        f"Mã số thuế: {cover.tax_code}",
        "Hồ sơ gồm:",
    ]
    items = [
        f"{version}: 01 bản, ký, ghi rõ họ tên và đóng dấu." for version in cover.form_versions
    ]
    items += list(ATTACHMENTS)
    lines += [f"{number}. {item}" for number, item in enumerate(items, start=1)]
    lines += [
        "Cách nộp (chọn một):",
        f"- Gửi qua bưu điện tới {office}"
        + (f", {cover.office_address}" if cover.office_address else "")
        + "; giữ lại mã bưu gửi để theo dõi.",
        f"- Nộp trực tiếp tại Bộ phận một cửa của {office}.",
        "Sau khi gửi: ghi nhận ngày gửi, hình thức gửi và mã bưu gửi (nếu có) trong eBHXH.",
        "Khi nhận được thông báo mã đơn vị: nhập mã vào eBHXH; eBHXH kiểm tra mã với cơ quan "
        "BHXH rồi tiếp tục đăng ký giao dịch điện tử.",
        f"Ngày lập: {cover.drawn_up_on:%d/%m/%Y}",
    ]
    return [_nfc(line) for line in lines]


def render_paper_pack(cover: CoverLetter, forms: list[FormRequest]) -> bytes:
    """The pack as one PDF: the cover page, then each form on its own page(s)."""
    pdf = new_document(PACK_TITLE, cover.drawn_up_on)
    pdf.add_page()
    width = pdf.epw
    title, *rest = cover_lines(cover)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.multi_cell(width, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in rest:
        heading = line.startswith(("Kính gửi", "Hồ sơ gồm", "Cách nộp"))
        pdf.set_font(FONT_FAMILY, "B" if heading else "", 11 if heading else 10.5)
        pdf.multi_cell(width, 6.5, line, new_x="LMARGIN", new_y="NEXT")
        if heading:
            pdf.ln(1)
    for request in forms:
        pdf.set_title(_nfc(FORM_TITLES[request.kind][0]))
        draw_form(pdf, request, SIGNED_BY_HAND)
    pdf.set_title(_nfc(PACK_TITLE))
    return bytes(pdf.output())
