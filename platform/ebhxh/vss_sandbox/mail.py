"""The activation-code email, sent over SMTP (aiosmtplib) on a connection kept open."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from email.header import Header
from email.message import EmailMessage

import aiosmtplib

from ebhxh.vss_sandbox.settings import SandboxSettings

SUBJECT = "Mã kích hoạt hồ sơ giao dịch điện tử BHXH"
_SUBJECT_HEADER = Header(SUBJECT, "utf-8").encode()  # RFC 2047, the same for every message


class Mailer:
    """A few SMTP connections kept open for all the sandbox's mail: each message takes an
    idle one (or opens one, up to `CONNECTIONS`) and gives it back once sent.

    A connection per message (connect, EHLO, QUIT) cost the sandbox about twice the CPU
    of the message itself, at every dossier; a single connection would send one message
    at a time, each waiting for the mail server's answers to the one before.
    """

    CONNECTIONS = 4

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(self.CONNECTIONS)

    async def send(self, message: EmailMessage | bytes, to: str) -> None:
        """Send `message` (an `EmailMessage`, or the bytes of one) from `mail_from` to `to`."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to one event loop
            self._loop, self._idle = loop, []
            self._slots = asyncio.Semaphore(self.CONNECTIONS)
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                else:
                    try:
                        await self._send_on(client, message, to)
                    except aiosmtplib.SMTPServerDisconnected:
                        # A server that closed the connection while it was idle (a catcher
                        # started again, an idle timeout) fails the first command, before
                        # the message is sent: once more on a new connection. Were it
                        # dropped mid-message, the unit would get the same code twice,
                        # which does no harm.
                        client = await self._connect()
                    else:
                        self._idle.append(client)
                        return
                await self._send_on(client, message, to)
            except BaseException:
                if client is not None:
                    client.close()  # in an unknown state: not given back
                raise
            self._idle.append(client)

    async def _send_on(
        self, client: aiosmtplib.SMTP, message: EmailMessage | bytes, to: str
    ) -> None:
        if isinstance(message, bytes):
            await client.sendmail(self.settings.mail_from, [to], message)
        else:
            await client.send_message(message)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(hostname=self.settings.smtp_host, port=self.settings.smtp_port)
        await client.connect()
        return client

    async def close(self) -> None:
        """QUIT the idle connections, if they are of this event loop."""
        idle, self._idle = self._idle, []
        ours = self._loop is asyncio.get_running_loop()
        for client in idle:
            if not (ours and client.is_connected):
                continue
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()


def _plain(value: str) -> bool:
    """Printable ASCII: safe to write into a header as it is (no line break, no encoding)."""
    return value.isascii() and value.isprintable()


def _written(mail_from: str, to: str, receipt_id: str, text: str) -> bytes:
    """The message as SMTP carries it, composed directly: building an `EmailMessage` and
    flattening it took the sandbox more CPU than the rest of sending it.
    """
    head = (
        f"From: {mail_from}\r\n"
        f"To: {to}\r\n"
        f"Subject: {_SUBJECT_HEADER}\r\n"
        f"X-VSS-Receipt: {receipt_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
    )
    return head.encode("ascii") + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")


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
    text = (
        f"Kính gửi {unit_name},\n\n"
        f"Hồ sơ số {receipt_id} đã được tiếp nhận. Mã kích hoạt của đơn vị là:\n\n"
        f"    {code}\n\n"
        f"Mã có hiệu lực đến {expires_at:%H:%M ngày %d/%m/%Y} (UTC), tức 24 giờ kể từ khi gửi.\n"
        "Nhập mã trên phần mềm của nhà cung cấp để chuyển hồ sơ tới cán bộ BHXH xử lý.\n\n"
        "Bảo hiểm xã hội Việt Nam (môi trường thử nghiệm)\n"
    )
    mail_from = mailer.settings.mail_from
    if all(_plain(value) for value in (mail_from, to, receipt_id)):
        await mailer.send(_written(mail_from, to, receipt_id, text), to)
        return
    # Anything else (an address beyond ASCII, a line break) takes the email package's
    # way, which encodes what it can and refuses what it must.
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = SUBJECT
    message["X-VSS-Receipt"] = receipt_id
    message.set_content(text)
    await mailer.send(message, to)
