"""Emails to the tenant's people when a dossier needs them: approved, rejected (with the
reason), activation code expiring in 2 hours, expired. In Vietnamese, over SMTP.

Notifications are outbox work (action `notify:<event>`), written with the transition that
causes them, so a crash never loses one; a crash between sending and marking done may send
one twice, which is the better failure for a reminder.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from enum import StrEnum

import aiosmtplib

NOTIFY_PREFIX = "notify:"
REMIND_BEFORE = dt.timedelta(hours=2)
SENDER = "thongbao@ebhxh.vn"


class Notice(StrEnum):
    """What the tenant is told about."""

    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    @property
    def action(self) -> str:
        return NOTIFY_PREFIX + self.value


def compose(
    notice: Notice,
    *,
    to: list[str],
    unit_name: str,
    dossier_kind: str,
    unit_code: str | None = None,
    reason: str | None = None,
    expires_at: dt.datetime | None = None,
) -> EmailMessage:
    """The message for `notice` about a unit's dossier."""
    if notice is Notice.APPROVED:
        subject = f"[eBHXH] Hồ sơ của {unit_name} đã được duyệt"
        body = (
            f"Cơ quan BHXH đã duyệt hồ sơ {dossier_kind} và cấp mã đơn vị {unit_code}.\n"
            "Việc tiếp theo: cập nhật mã đơn vị và ký nộp hồ sơ thay đổi trong eBHXH."
        )
    elif notice is Notice.REJECTED:
        subject = f"[eBHXH] Hồ sơ của {unit_name} bị từ chối"
        body = (
            f"Cơ quan BHXH đã từ chối hồ sơ {dossier_kind}.\nLý do: {reason or '—'}\n"
            "Việc tiếp theo: sửa thông tin và đăng ký lại trong eBHXH."
        )
    elif notice is Notice.EXPIRING:
        subject = f"[eBHXH] Mã kích hoạt của {unit_name} sắp hết hạn"
        when = f"{expires_at:%H:%M ngày %d/%m/%Y} (UTC)" if expires_at else "trong 2 giờ tới"
        body = (
            f"Mã kích hoạt hồ sơ {dossier_kind} sẽ hết hạn lúc {when}.\n"
            "Hãy nhập mã trong thư của BHXH trước thời điểm đó, hoặc yêu cầu mã mới."
        )
    else:
        subject = f"[eBHXH] Mã kích hoạt của {unit_name} đã hết hạn"
        body = (
            f"Mã kích hoạt hồ sơ {dossier_kind} đã hết hạn (hiệu lực 24 giờ).\n"
            "Việc tiếp theo: yêu cầu mã mới trong eBHXH (có thể sửa địa chỉ email)."
        )
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(f"Kính gửi quý khách,\n\n{body}\n\neBHXH\n")
    return message


async def send(message: EmailMessage, host: str, port: int) -> None:
    """Deliver over SMTP."""
    await aiosmtplib.send(message, hostname=host, port=port)
