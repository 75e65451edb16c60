"""Real servers the tests run on 127.0.0.1: an SMTP catcher (aiosmtpd) and any ASGI app
under uvicorn in a thread (the VSS sandbox).
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailCatcher:
    """An SMTP server that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def activation_code(self, to: str, receipt_id: str, timeout: float = 10.0) -> str:
        """The last code mailed to `to` for `receipt_id` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if message["To"] == to and message["X-VSS-Receipt"] == receipt_id:
                    body = message.get_content()
                    found = re.search(r"^\s+(\d{6})\s*$", body, re.M)
                    assert found, body
                    return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no activation mail to {to} for {receipt_id}")

    def count(self, to: str) -> int:
        return sum(1 for message in self.messages if message["To"] == to)


class ThreadedServer:
    """An ASGI app served by uvicorn on a free port, in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
