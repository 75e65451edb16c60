"""The activation-code email, sent over SMTP (aiosmtplib)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import aiosmtplib

from ebhxh.vss_sandbox.settings import SandboxSettings

SUBJECT = "Mã kích hoạt hồ sơ giao dịch điện tử BHXH"


async def send_activation_code(
    settings: SandboxSettings,
    *,
    to: str,
    unit_name: str,
    receipt_id: str,
    code: str,
    expires_at: dt.datetime,
) -> None:
    """Mail `code` to `to` (Vietnamese; the code on a line of its own)."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = SUBJECT
    message["X-VSS-Receipt"] = receipt_id
    message.set_content(
        f"Kính gửi {unit_name},\n\n"
        f"Hồ sơ số {receipt_id} đã được tiếp nhận. Mã kích hoạt của đơn vị là:\n\n"
        f"    {code}\n\n"
        f"Mã có hiệu lực đến {expires_at:%H:%M ngày %d/%m/%Y} (UTC), tức 24 giờ kể từ khi gửi.\n"
        "Nhập mã trên phần mềm của nhà cung cấp để chuyển hồ sơ tới cán bộ BHXH xử lý.\n\n"
        "Bảo hiểm xã hội Việt Nam (môi trường thử nghiệm)\n"
    )
    await aiosmtplib.send(message, hostname=settings.smtp_host, port=settings.smtp_port)
