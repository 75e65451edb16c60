"""The activation-code email, sent over SMTP (aiosmtplib) on a connection kept open."""

from __future__ import annotations

import asyncio
import datetime as dt
from email.message import EmailMessage

import aiosmtplib

from ebhxh.vss_sandbox.settings import SandboxSettings

SUBJECT = "Mã kích hoạt hồ sơ giao dịch điện tử BHXH"


class Mailer:
    """One SMTP connection for all the sandbox's mail, opened on first use and again
    whenever the server has dropped it; one message at a time on it.

    A connection per message (connect, EHLO, QUIT) cost the sandbox about twice the CPU
    of the message itself, at every dossier.
    """

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def send(self, message: EmailMessage) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a connection (and a lock) belong to one event loop
            self._loop, self._client, self._lock = loop, None, asyncio.Lock()
        async with self._lock:
            reused = self._client is not None
            try:
                await (await self._connected()).send_message(message)
            except aiosmtplib.SMTPServerDisconnected:
                self._client = None
                if not reused:
                    raise
                # A server that closed the connection while it was idle (a catcher started
                # again, an idle timeout) fails the first command, before the message is
                # sent: once more on a new connection. Were it dropped mid-message, the
                # unit would get the same code twice, which does no harm.
                await (await self._connected()).send_message(message)

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            client = aiosmtplib.SMTP(hostname=self.settings.smtp_host, port=self.settings.smtp_port)
            await client.connect()
            self._client = client
        return self._client

    async def close(self) -> None:
        """QUIT the connection, if one is open on this event loop."""
        client, self._client = self._client, None
        if client is not None and client.is_connected and self._loop is asyncio.get_running_loop():
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()


async def send_activation_code(
    mailer: Mailer,
    *,
    to: str,
    unit_name: str,
    receipt_id: str,
    code: str,
    expires_at: dt.datetime,
) -> None:
    """Mail `code` to `to` (Vietnamese; the code on a line of its own)."""
    message = EmailMessage()
    message["From"] = mailer.settings.mail_from
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
    await mailer.send(message)
