"""Lay a form out as a PDF in Vietnamese, with its XML declaration embedded.

The font is the project's own (`fonts/EbhxhSans*.ttf`, DejaVu Sans cut to the Latin and
Vietnamese glyphs), never a system path. The signature is invisible (a field without
appearance): the signer's certificate is printed in the page instead, because pyHanko's
visible stamp writes glyph widths in font units and doubles the letter spacing.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from importlib.resources import as_file, files

from fpdf import FPDF

from ebhxh.documents.forms import FORM_TITLES, FormKind, FormRequest
from ebhxh.documents.xml_declaration import DATE, xml_declaration

FONT_FAMILY = "EbhxhSans"
XML_ATTACHMENT = "to-khai.xml"
_FONTS = files("ebhxh.documents").joinpath("fonts")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _rows(request: FormRequest) -> list[tuple[str, str]]:
    unit = request.unit
    rows = [
        ("Tên đơn vị", unit.name),
        ("Mã đơn vị", unit.unit_code),
        ("Mã số thuế", unit.tax_code),
        ("Địa chỉ đăng ký kinh doanh", unit.registered_address),
        ("Địa chỉ liên hệ", unit.contact_address),
        ("Điện thoại", unit.phone),
        ("Thư điện tử", unit.email),
    ]
    if request.kind is FormKind.TK3_TS:
        rows += [
            ("Loại hình đơn vị", unit.unit_type),
            ("Số giấy phép kinh doanh", unit.licence_number),
            ("Ngày cấp", unit.licence_date),
            ("Nơi cấp", unit.licence_issuer),
            ("Phương thức đóng", unit.contribution_frequency),
        ]
    elif request.kind is FormKind.REGISTRATION:
        rows += [("Thủ tục đăng ký giao dịch", "; ".join(request.procedures))]
        rows += [("Tổ chức I-VAN", request.provider_name)]
    elif request.kind is FormKind.CHANGE:
        rows += [(f"{what} (cũ → mới)", f"{old} → {new}") for what, old, new in request.changes]
    elif request.kind is FormKind.STOP:
        rows += [("Nhà cung cấp I-VAN đang sử dụng", request.previous_provider)]
        rows += [("Lý do ngừng", request.reason)]
    if request.certificate is not None:
        cert = request.certificate
        rows += [
            ("Chứng thư số (số hiệu)", cert.serial),
            ("Chủ thể chứng thư số", cert.subject),
            (
                "Hiệu lực",
                f"{cert.not_before.strftime(DATE)} đến {cert.not_after.strftime(DATE)}",
            ),
        ]
    return rows


class _FormPdf(FPDF):
    """A4, the project's fonts, the forms' margins."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        with as_file(_FONTS.joinpath("EbhxhSans.ttf")) as regular:
            self.add_font(FONT_FAMILY, "", str(regular))
        with as_file(_FONTS.joinpath("EbhxhSans-Bold.ttf")) as bold:
            self.add_font(FONT_FAMILY, "B", str(bold))
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(auto=True, margin=15)


SIGNED_DIGITALLY = "(Ký số bằng chứng thư số của đơn vị)"
SIGNED_BY_HAND = "(Ký, ghi rõ họ tên và đóng dấu)"


def new_document(title: str, drawn_up_on: dt.date) -> FPDF:
    """An A4 PDF in the project's font, dated `drawn_up_on` (deterministic output)."""
    pdf = _FormPdf()
    pdf.set_title(_nfc(title))
    pdf.set_creator("eBHXH")
    pdf.set_creation_date(dt.datetime.combine(drawn_up_on, dt.time(), dt.UTC))
    return pdf


def render_form(request: FormRequest) -> tuple[bytes, bytes]:
    """The form as (PDF bytes, XML declaration bytes); the PDF embeds the XML."""
    declaration = xml_declaration(request)
    pdf = new_document(FORM_TITLES[request.kind][0], request.drawn_up_on)
    draw_form(pdf, request, SIGNED_DIGITALLY)
    pdf.embed_file(
        basename=XML_ATTACHMENT,
        bytes=declaration,
        desc=_nfc("Tờ khai dạng XML (dữ liệu máy đọc được)"),
        compress=True,
        modification_date=pdf.creation_date,
        creation_date=pdf.creation_date,
    )
    return bytes(pdf.output()), declaration


def draw_form(pdf: FPDF, request: FormRequest, signature_note: str) -> None:
    """Lay the form out on a new page of `pdf`; `signature_note` says how it is signed."""
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(
        width,
        6,
        _nfc("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        width, 6, _nfc("Độc lập - Tự do - Hạnh phúc"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    title, subtitle = FORM_TITLES[request.kind]
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.multi_cell(width, 7, _nfc(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.cell(width, 6, _nfc(f"({subtitle})"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if request.unit.office_name:
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.cell(
            width, 7, _nfc(f"Kính gửi: {request.unit.office_name}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(2)
    label_width = 62
    for label, value in _rows(request):
        pdf.set_font(FONT_FAMILY, "", 10.5)
        y = pdf.get_y()
        pdf.multi_cell(label_width, 6.5, _nfc(label + ":"), new_x="RIGHT", new_y="TOP")
        pdf.set_font(FONT_FAMILY, "B", 10.5)
        pdf.multi_cell(
            width - label_width, 6.5, _nfc(value or "…………………………"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_y(max(pdf.get_y(), y + 6.5))
    pdf.ln(6)
    pdf.set_font(FONT_FAMILY, "", 10.5)
    place = f"{request.place}, " if request.place else ""
    drawn = request.drawn_up_on
    pdf.cell(
        width,
        6,
        _nfc(f"{place}ngày {drawn.day:02d} tháng {drawn.month:02d} năm {drawn.year}"),
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(width, 7, _nfc("ĐẠI DIỆN ĐƠN VỊ"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 9.5)
    pdf.cell(
        width,
        5,
        _nfc(signature_note),
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
