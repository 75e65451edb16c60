"""The machine-readable XML declaration embedded in every form's PDF.

Element names follow 04/ĐK-IVAN where they are known (`TEN_DVI`, `MA_DVI`, `DIACHI_LHE`,
`EMAIL`, `DIEN_THOAI`, `TEN_THUTUC`, `TEN_IVAN`, `DIADIEM`, `NGAY_LAP`; for the certificate
`SERIAL`, `SUBJECT`, `BEGIN`, `END`). The output is deterministic for the same request, so
a validator can compare it byte for byte with what the dossier expects.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET

from ebhxh.documents.forms import FormKind, FormRequest

DATE = "%d/%m/%Y"


def _add(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = unicodedata.normalize("NFC", value)


def xml_declaration(request: FormRequest) -> bytes:
    """The declaration of `request` as UTF-8 XML bytes (NFC text)."""
    unit = request.unit
    root = ET.Element("HoSo", {"MauSo": request.kind.value})
    header = ET.SubElement(root, "ThongTinDonVi")
    _add(header, "TEN_DVI", unit.name)
    _add(header, "MA_DVI", unit.unit_code)
    _add(header, "MA_SO_THUE", unit.tax_code)
    _add(header, "DIACHI_DKKD", unit.registered_address)
    _add(header, "DIACHI_LHE", unit.contact_address)
    _add(header, "EMAIL", unit.email)
    _add(header, "DIEN_THOAI", unit.phone)
    body = ET.SubElement(root, "NoiDung")
    if request.kind is FormKind.TK3_TS:
        _add(body, "LOAI_DVI", unit.unit_type)
        _add(body, "SO_GPKD", unit.licence_number)
        _add(body, "NGAY_CAP_GPKD", unit.licence_date)
        _add(body, "NOI_CAP_GPKD", unit.licence_issuer)
        _add(body, "PHUONG_THUC_DONG", unit.contribution_frequency)
        _add(body, "CO_QUAN_BHXH", unit.office_name)
    elif request.kind is FormKind.REGISTRATION:
        for procedure in request.procedures:
            _add(body, "TEN_THUTUC", procedure)
        _add(body, "TEN_IVAN", request.provider_name)
    elif request.kind is FormKind.CHANGE:
        for what, old, new in request.changes:
            change = ET.SubElement(body, "THAY_DOI", {"NoiDung": what})
            _add(change, "CU", old)
            _add(change, "MOI", new)
    elif request.kind is FormKind.STOP:
        _add(body, "TEN_IVAN_CU", request.previous_provider)
        _add(body, "LY_DO", request.reason)
    if request.certificate is not None:
        certificate = ET.SubElement(root, "ChungThuSo")
        _add(certificate, "SERIAL", request.certificate.serial)
        _add(certificate, "SUBJECT", request.certificate.subject)
        _add(certificate, "BEGIN", request.certificate.not_before.strftime(DATE))
        _add(certificate, "END", request.certificate.not_after.strftime(DATE))
    _add(root, "DIADIEM", request.place)
    _add(root, "NGAY_LAP", request.drawn_up_on.strftime(DATE))
    declaration: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return declaration
