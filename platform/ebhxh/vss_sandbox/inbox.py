"""The caught mail: a real SMTP server (aiosmtpd) that files every message in a Maildir, so
a newcomer (`ebhxh sandbox inbox`), the demo and the tests can read activation codes.
"""

from __future__ import annotations

import email.policy
import itertools
import os
import re
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_CODE = re.compile(r"^\s+(\d{6})\s*$", re.M)


class RawMaildir:
    """An aiosmtpd handler that files each message, as it came, in a Maildir.

    aiosmtpd's own `Mailbox` parses each message, writes it out again and waits for the
    disk (fsync): about as much CPU per activation mail as the sandbox spends sending it.
    Caught test mail needs none of that: the bytes go to `tmp/`, then `new/` (the Maildir
    way, so a reader never sees half a message), with the line ends `mailbox` would write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._serial = itertools.count()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(self._serial)}.catcher"
        staged = self.folder / "tmp" / name
        staged.write_bytes(content.replace(b"\r\n", b"\n"))
        staged.rename(self.folder / "new" / name)
        return "250 OK"


class MailCatcher:
    """An SMTP server on `host:port` delivering into the Maildir at `folder`."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.folder = folder
        self.port = port
        for sub in ("tmp", "new", "cur"):  # a Maildir's three folders
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self._controller = Controller(RawMaildir(folder), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def read_inbox(folder: Path) -> list[EmailMessage]:
    """Every message in the Maildir, in the order it arrived."""
    files = [
        path
        for sub in ("new", "cur")
        if (folder / sub).is_dir()
        for path in (folder / sub).iterdir()
    ]
    files.sort(key=lambda path: path.stat().st_mtime_ns)
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]


def activation_code(folder: Path, to: str, receipt_id: str, timeout: float = 10.0) -> str:
    """The newest code mailed to `to` for `receipt_id`, waiting for it to arrive."""
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(read_inbox(folder)):
            if message["To"] == to and message["X-VSS-Receipt"] == receipt_id:
                found = _CODE.search(message.get_content())
                if found:
                    return found.group(1)
        if time.monotonic() > deadline:
            raise LookupError(f"no activation mail to {to} for dossier {receipt_id}")
        time.sleep(0.05)
