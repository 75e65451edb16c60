"""The paper route end to end: a first-time Đà Nẵng unit prints its pack (read back with
poppler), records it as sent, records the code the office issued (checked with the VSS
sandbox), and reaches "service active" through the electronic service registration.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import unicodedata
from pathlib import Path

import pytest

from ebhxh.clock import ShiftedClock, today_in_vietnam
from ebhxh.documents.paper_pack import CoverLetter, cover_lines
from ebhxh.vss_sandbox.inbox import MailCatcher
from tests.conftest import UNIT_EMAIL, Pki, TenantHandle, signed_unit
from tests.lifecycle.helpers import Client, Sandbox, activate, until

PARTICULARS = {
    "email": UNIT_EMAIL,
    "registered_address": "Số 12 Bạch Đằng, phường Hải Châu, thành phố Đà Nẵng",
    "phone": "0236 3822 123",
    "unit_type": "Công ty cổ phần",
    "licence_number": "0100109106",
}


async def _da_nang_unit(client: Client, tenant: TenantHandle, test_pki: Pki) -> str:
    unit_id = await signed_unit(
        client, tenant, test_pki, province="Đà Nẵng", particulars=PARTICULARS
    )
    unit = (await client.get(f"/units/{unit_id}", headers=tenant.headers)).json()
    assert (unit["route"], unit["next_step"]["code"]) == ("paper", "paper_registration")
    return unit_id


def _read_back(pdf: bytes, folder: Path) -> tuple[str, float]:
    """The pack's text as poppler extracts it (whitespace runs made single spaces: lines
    wrap where the layout wraps them), and the ink on its second page rendered to pixels.
    """
    path = folder / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "60", "-f", "2", "-l", "2", str(path), str(folder / "form")],
        check=True,
    )
    [page] = list(folder.glob("form*.pgm"))
    return " ".join(text.split()), _ink(page)


def _ink(pgm: Path) -> float:
    """The share of a page's pixels that are not white (pdftoppm -gray writes binary PGM:
    "P5", the size, the maximum value, then one byte per pixel).
    """
    magic, _size, _maximum, pixels = pgm.read_bytes().split(b"\n", 3)
    assert magic == b"P5"
    return sum(1 for value in pixels if value < 200) / len(pixels)


@pytest.mark.sqlite
async def test_a_first_time_da_nang_unit_goes_from_paper_to_service_active(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    sandbox: Sandbox,
    mail: MailCatcher,
    clock: ShiftedClock,
    tmp_path: Path,
) -> None:
    unit_id = await _da_nang_unit(client, tenant, test_pki)
    electronic = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert (electronic.status_code, electronic.json()["code"]) == (409, "dossier_kind_not_allowed")

    prepared = await client.post(f"/units/{unit_id}/paper-dossier", headers=tenant.headers)
    assert prepared.status_code == 200, prepared.text
    paper = prepared.json()
    assert (paper["state"], paper["office"]) == ("prepared", "Bảo hiểm xã hội thành phố Đà Nẵng")
    again = await client.post(f"/units/{unit_id}/paper-dossier", headers=tenant.headers)
    assert again.json()["id"] == paper["id"]

    pack = await client.get(paper["pack_url"], headers=tenant.headers)
    assert (pack.status_code, pack.headers["content-type"]) == (200, "application/pdf")
    text, ink = await asyncio.to_thread(_read_back, pack.content, tmp_path)
    assert text == unicodedata.normalize("NFC", text)
    cover = CoverLetter(
        unit_name="Công ty Cổ phần Sông Hồng",
        tax_code="0100109106",
        office_name="Bảo hiểm xã hội thành phố Đà Nẵng",
        office_address=None,
        form_versions=tuple(paper["forms"]),
        drawn_up_on=today_in_vietnam(clock),
    )
    form_lines = [
        "TỜ KHAI THAM GIA, ĐIỀU CHỈNH THÔNG TIN ĐÓNG BHXH, BHYT",
        "Kính gửi: Bảo hiểm xã hội thành phố Đà Nẵng",
        "Địa chỉ đăng ký kinh doanh: Số 12 Bạch Đằng, phường Hải Châu, thành phố Đà Nẵng",
        "Loại hình đơn vị: Công ty cổ phần",
        "(Ký, ghi rõ họ tên và đóng dấu)",
    ]
    for line in [*cover_lines(cover), *form_lines]:
        assert " ".join(line.split()) in text, line
    assert 0.005 < ink < 0.5  # a page of printed form: neither blank nor a smear

    today = today_in_vietnam(clock)
    too_early = await client.post(
        f"/units/{unit_id}/paper-dossier/unit-code",
        json={"unit_code": "DNA123K"},
        headers=tenant.headers,
    )
    assert (too_early.status_code, too_early.json()["code"]) == (409, "paper_dossier_state")
    future = await client.post(
        f"/units/{unit_id}/paper-dossier/sent",
        json={"sent_on": (today + dt.timedelta(days=1)).isoformat(), "channel": "post"},
        headers=tenant.headers,
    )
    assert (future.status_code, future.json()["field"]) == (422, "sent_on")
    desk_tracking = await client.post(
        f"/units/{unit_id}/paper-dossier/sent",
        json={"sent_on": today.isoformat(), "channel": "desk", "tracking_number": "EE123456789VN"},
        headers=tenant.headers,
    )
    assert (desk_tracking.status_code, desk_tracking.json()["field"]) == (422, "tracking_number")
    bad_tracking = await client.post(
        f"/units/{unit_id}/paper-dossier/sent",
        json={"sent_on": today.isoformat(), "channel": "post", "tracking_number": "12345"},
        headers=tenant.headers,
    )
    assert bad_tracking.status_code == 422
    sent = await client.post(
        f"/units/{unit_id}/paper-dossier/sent",
        json={"sent_on": today.isoformat(), "channel": "post", "tracking_number": "ee123456789vn"},
        headers=tenant.headers,
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["state"], sent.json()["tracking_number"]) == ("sent", "EE123456789VN")

    # The office issues DNA123K to our tax code; DNB456K belongs to another company.
    sandbox.call("POST", "/test/units", json={"tax_code": "0100109106", "unit_code": "DNA123K"})
    sandbox.call("POST", "/test/units", json={"tax_code": "0401234567", "unit_code": "DNB456K"})
    wrong_shape = await client.post(
        f"/units/{unit_id}/paper-dossier/unit-code",
        json={"unit_code": "DN-123"},
        headers=tenant.headers,
    )
    assert (wrong_shape.status_code, wrong_shape.json()["code"]) == (422, "unit_code_format")
    someone_elses = await client.post(
        f"/units/{unit_id}/paper-dossier/unit-code",
        json={"unit_code": "DNB456K"},
        headers=tenant.headers,
    )
    assert (someone_elses.status_code, someone_elses.json()["code"]) == (
        409,
        "unit_code_not_at_vss",
    )
    assert (await client.get(f"/units/{unit_id}", headers=tenant.headers)).json()[
        "unit_code"
    ] is None

    recorded = await client.post(
        f"/units/{unit_id}/paper-dossier/unit-code",
        json={"unit_code": "DNA123K"},
        headers=tenant.headers,
    )
    assert recorded.status_code == 200, recorded.text
    received = recorded.json()
    assert (received["state"], received["unit_code"]) == ("code_received", "DNA123K")
    registration_id = received["registration_dossier_id"]
    assert registration_id, received["next_step"]
    awaiting = await until(client, tenant, registration_id, "awaiting_activation")
    assert (await activate(client, tenant, mail, awaiting))["state"] == "active"
    record = (await client.get(f"/units/{unit_id}/vss-record", headers=tenant.headers)).json()
    assert record == {"tax_code": "0100109106", "unit_code": "DNA123K", "provider": "eBHXH"}


async def test_a_hanoi_unit_needs_no_paper_dossier(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    refused = await client.post(
        f"/units/{unit_id}/paper-dossier", headers={**tenant.headers, "Accept-Language": "en"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "paper_route_not_needed")
    assert "electronic route" in refused.json()["detail"]
    missing = await client.get(f"/units/{unit_id}/paper-dossier", headers=tenant.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "paper_dossier_not_found")
