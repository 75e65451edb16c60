"""The VSS sandbox's own rules that the end-to-end tests do not reach."""

from __future__ import annotations

import asyncio
import datetime as dt
import unicodedata
from email.message import EmailMessage
from pathlib import Path

import pytest

from ebhxh.demo.threaded import free_port
from ebhxh.documents.forms import FormKind, FormRequest, UnitParticulars
from ebhxh.documents.xml_declaration import xml_declaration
from ebhxh.gateway.contract import DossierKind, Submission
from ebhxh.vss_sandbox.inbox import MailCatcher, activation_code, read_inbox
from ebhxh.vss_sandbox.mail import SUBJECT, Mailer, send_activation_code
from ebhxh.vss_sandbox.service import Refusal, _refuse_unlike_declaration, new_unit_code
from ebhxh.vss_sandbox.settings import SandboxSettings

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<HoSo><ThongTinDonVi><TEN_DVI>&lol3;</TEN_DVI></ThongTinDonVi></HoSo>"""


def _submission(**overrides: object) -> Submission:
    values: dict[str, object] = {
        "kind": DossierKind.REGISTER_UNIT_CODE,
        "tax_code": "0100109106",
        "unit_name": "Công ty Cổ phần Sông Hồng",
        "email": "a@b.vn",
        "provider": "eBHXH",
        "document": b"",
    }
    values.update(overrides)
    return Submission(**values)  # type: ignore[arg-type]


def _declaration(name: str, tax_code: str = "0100109106") -> bytes:
    return xml_declaration(
        FormRequest(
            kind=FormKind.TK3_TS,
            unit=UnitParticulars(name=name, tax_code=tax_code),
            drawn_up_on=dt.date(2026, 11, 25),
        )
    )


def test_a_declaration_that_says_what_the_submission_says_passes() -> None:
    nfd = unicodedata.normalize("NFD", "Công ty Cổ phần Sông Hồng")
    _refuse_unlike_declaration(_declaration("Công ty Cổ phần Sông Hồng"), _submission())
    _refuse_unlike_declaration(_declaration(nfd), _submission(unit_name=nfd))


@pytest.mark.parametrize(
    "submission",
    [_submission(tax_code="0101243150"), _submission(unit_name="Công ty Khác")],
)
def test_a_declaration_unlike_the_submission_is_refused(submission: Submission) -> None:
    with pytest.raises(Refusal) as refused:
        _refuse_unlike_declaration(_declaration("Công ty Cổ phần Sông Hồng"), submission)
    assert refused.value.code == "declaration_mismatch"


def test_an_entity_bomb_is_refused_without_expanding() -> None:
    with pytest.raises(Refusal) as refused:
        _refuse_unlike_declaration(BILLION_LAUGHS, _submission())
    assert refused.value.code == "declaration_forbidden_xml"


def test_unit_codes_have_the_real_shape() -> None:
    codes = {new_unit_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(
        len(c) == 7 and c[:3].isalpha() and c[3:6].isdigit() and c[6].isalpha() and c.isupper()
        for c in codes
    )


async def test_the_activation_mail_reads_back_as_the_email_package_writes_it(
    tmp_path: Path,
) -> None:
    """The sandbox writes the common message itself (cheaper than the email package); the
    unit's mail program must read the same message either way. A name and address out of
    the ordinary take the email package's way; both arrive over a kept connection.
    """
    catcher = MailCatcher(tmp_path / "mail", port=free_port())
    catcher.start()
    mailer = Mailer(SandboxSettings(database_path="unused", smtp_port=catcher.port))
    expires = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
    sent = [
        ("nhansu@songhong.vn", "Công ty Cổ phần Sông Hồng", "r-1", "012345"),
        ("Phòng Nhân sự <nhansu@songhong.vn>", "Công ty Cổ phần Sông Hồng", "r-2", "987650"),
    ]
    try:
        for to, unit_name, receipt_id, code in sent:
            await send_activation_code(
                mailer,
                to=to,
                unit_name=unit_name,
                receipt_id=receipt_id,
                code=code,
                expires_at=expires,
            )
        await mailer.close()
        received = read_inbox(tmp_path / "mail")
    finally:
        catcher.stop()
    assert len(received) == 2
    for message, (to, unit_name, receipt_id, code) in zip(received, sent, strict=True):
        expected = EmailMessage()
        expected["To"] = to
        expected["Subject"] = SUBJECT
        expected.set_content(
            f"Kính gửi {unit_name},\n\n"
            f"Hồ sơ số {receipt_id} đã được tiếp nhận. Mã kích hoạt của đơn vị là:\n\n"
            f"    {code}\n\n"
            "Mã có hiệu lực đến 09:30 ngày 26/11/2026 (UTC), tức 24 giờ kể từ khi gửi.\n"
            "Nhập mã trên phần mềm của nhà cung cấp để chuyển hồ sơ tới cán bộ BHXH xử lý.\n\n"
            "Bảo hiểm xã hội Việt Nam (môi trường thử nghiệm)\n"
        )
        assert message["Subject"] == SUBJECT
        assert message["To"] == expected["To"]
        assert message["X-VSS-Receipt"] == receipt_id
        assert message.get_content() == expected.get_content()
        assert activation_code(tmp_path / "mail", str(message["To"]), receipt_id) == code


async def test_mail_goes_out_again_after_the_mail_server_restarts(tmp_path: Path) -> None:
    """The connections kept open die with the server; the next message opens a new one."""
    port = free_port()
    mailer = Mailer(SandboxSettings(database_path="unused", smtp_port=port))
    expires = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
    for attempt in range(2):
        catcher = MailCatcher(tmp_path / f"mail-{attempt}", port=port)
        catcher.start()
        try:
            await asyncio.gather(
                *(
                    send_activation_code(
                        mailer,
                        to="nhansu@songhong.vn",
                        unit_name="Công ty Cổ phần Sông Hồng",
                        receipt_id=f"r-{attempt}-{n}",
                        code=f"{attempt}0000{n}",
                        expires_at=expires,
                    )
                    for n in range(6)  # more at once than connections kept
                )
            )
        finally:
            catcher.stop()
        received = {m["X-VSS-Receipt"] for m in read_inbox(tmp_path / f"mail-{attempt}")}
        assert received == {f"r-{attempt}-{n}" for n in range(6)}
    await mailer.close()
