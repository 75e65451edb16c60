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
    subjects = {
        Notice.APPROVED: f"[eBHXH] Hồ sơ của {unit_name} đã được duyệt",
        Notice.REJECTED: f"[eBHXH] Hồ sơ của {unit_name} bị từ chối",
        Notice.EXPIRING: f"[eBHXH] Mã kích hoạt của {unit_name} sắp hết hạn",
        Notice.EXPIRED: f"[eBHXH] Mã kích hoạt của {unit_name} đã hết hạn",
    }
    bodies = {
        Notice.APPROVED: (
            f"Cơ quan BHXH đã duyệt hồ sơ {dossier_kind} và cấp mã đơn vị {unit_code}.\n"
            "Việc tiếp theo: cập nhật mã đơn vị và ký nộp hồ sơ thay đổi trong eBHXH."
        ),
        Notice.REJECTED: (
            f"Cơ quan BHXH đã từ chối hồ sơ {dossier_kind}.\nLý do: {reason}\n"
            "Việc tiếp theo: sửa thông tin và đăng ký lại trong eBHXH."
        ),
        Notice.EXPIRING: (
            f"Mã kích hoạt hồ sơ {dossier_kind} sẽ hết hạn lúc "
            f"{expires_at:%H:%M ngày %d/%m/%Y} (UTC).\n"
            "Hãy nhập mã trong thư của BHXH trước thời điểm đó, hoặc yêu cầu mã mới."
        ),
        Notice.EXPIRED: (
            f"Mã kích hoạt hồ sơ {dossier_kind} đã hết hạn (hiệu lực 24 giờ).\n"
            "Việc tiếp theo: yêu cầu mã mới trong eBHXH (có thể sửa địa chỉ email)."
        ),
    }
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = ", ".join(to)
    message["Subject"] = subjects[notice]
    message.set_content(f"Kính gửi quý khách,\n\n{bodies[notice]}\n\neBHXH\n")
    return message


async def send(message: EmailMessage, host: str, port: int) -> None:
    """Deliver over SMTP."""
    await aiosmtplib.send(message, hostname=host, port=port)
