"""Forms as Vietnamese PDFs: text extracts back exactly, the XML rides inside, pages render."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from ebhxh.documents.forms import CertificateParticulars, FormKind, FormRequest, UnitParticulars
from ebhxh.documents.render import XML_ATTACHMENT, render_form
from ebhxh.documents.xml_declaration import xml_declaration

UNIT = UnitParticulars(
    name="Công ty Cổ phần Sông Hồng",
    tax_code="0100109106",
    registered_address="Số 1 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
    contact_address="Tầng 5, 18 Lý Thường Kiệt, Hà Nội",
    phone="024 3825 1234",
    email="nhansu@songhong.vn",
    unit_type="Công ty cổ phần",
    office_name="Bảo hiểm xã hội thành phố Hà Nội",
)
CERTIFICATE = CertificateParticulars(
    serial="5A3F",
    subject="CN=CÔNG TY CỔ PHẦN SÔNG HỒNG,UID=MST:0100109106",
    not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    not_after=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
)


def _request(kind: FormKind) -> FormRequest:
    return FormRequest(
        kind=kind,
        unit=UNIT,
        drawn_up_on=dt.date(2026, 11, 25),
        place="Hà Nội",
        certificate=CERTIFICATE,
        previous_provider="VNPT-IVAN",
        reason="Đổi nhà cung cấp",
        changes=(("Thư điện tử", "cu@songhong.vn", "nhansu@songhong.vn"),),
    )


@pytest.mark.parametrize("kind", list(FormKind))
def test_every_form_extracts_back_in_exact_vietnamese(kind: FormKind) -> None:
    pdf, declaration = render_form(_request(kind))
    reader = PdfReader(io.BytesIO(pdf))
    extracted = "\n".join(page.extract_text() for page in reader.pages)
    assert unicodedata.is_normalized("NFC", extracted)
    text = " ".join(extracted.split())  # lines wrap
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Công ty Cổ phần Sông Hồng",
        "Số 1 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
        "Kính gửi: Bảo hiểm xã hội thành phố Hà Nội",
        "Hà Nội, ngày 25 tháng 11 năm 2026",
    ):
        assert expected in text, (kind, expected)
    assert reader.attachments[XML_ATTACHMENT] == [declaration]


def test_nfd_input_is_printed_as_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Công ty Đông Á")
    request = FormRequest(
        kind=FormKind.TK3_TS,
        unit=UnitParticulars(name=decomposed, tax_code="0100109106"),
        drawn_up_on=dt.date(2026, 11, 25),
    )
    pdf, declaration = render_form(request)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Công ty Đông Á" in unicodedata.normalize("NFC", text)
    assert "Công ty Đông Á".encode() in declaration


def test_the_registration_xml_uses_the_04_dk_ivan_names() -> None:
    declaration = xml_declaration(_request(FormKind.REGISTRATION)).decode()
    for element in (
        "TEN_DVI",
        "MA_DVI",
        "DIACHI_LHE",
        "EMAIL",
        "DIEN_THOAI",
        "TEN_THUTUC",
        "TEN_IVAN",
        "DIADIEM",
        "NGAY_LAP",
        "SERIAL",
        "SUBJECT",
        "BEGIN",
        "END",
    ):
        assert f"<{element}" in declaration, element
    assert "<NGAY_LAP>25/11/2026</NGAY_LAP>" in declaration
    assert "<END>01/01/2027</END>" in declaration


def test_rendering_is_deterministic() -> None:
    assert render_form(_request(FormKind.TK3_TS)) == render_form(_request(FormKind.TK3_TS))


def test_the_font_is_the_projects_own_and_embedded(tmp_path: Path) -> None:
    pdf, _ = render_form(_request(FormKind.TK3_TS))
    path = tmp_path / "tk3.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(" yes yes yes " in row for row in rows), fonts.stdout
    assert shutil.which("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 5_000
