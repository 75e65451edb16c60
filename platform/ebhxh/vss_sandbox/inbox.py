"""The caught mail: a real SMTP server (aiosmtpd) that files every message in a Maildir, so
a newcomer (`ebhxh sandbox inbox`), the demo and the tests can read activation codes.
"""

from __future__ import annotations

import email.policy
import re
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

_CODE = re.compile(r"^\s+(\d{6})\s*$", re.M)


class MailCatcher:
    """An SMTP server on `host:port` delivering into the Maildir at `folder`."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.folder = folder
        self.port = port
        for sub in ("tmp", "new", "cur"):  # a Maildir's three folders
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self._controller = Controller(Mailbox(folder), hostname=host, port=port)

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
