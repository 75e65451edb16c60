"""Fixtures of lifecycle tests: a VSS sandbox over HTTP on 127.0.0.1, a real SMTP server
catching its mail, a shifted clock, and the app (`client`) with a real arq worker talking
to that sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.clock import ShiftedClock
from ebhxh.demo.threaded import ThreadedServer, free_port
from ebhxh.settings import Settings
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.inbox import MailCatcher
from ebhxh.vss_sandbox.settings import SandboxSettings
from tests.conftest import Pki, in_app, settle_outbox
from tests.lifecycle.helpers import Client, Sandbox


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailCatcher]:
    catcher = MailCatcher(tmp_path_factory.mktemp("maildir"), port=free_port())
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def sandbox(
    tmp_path: Any, mail: MailCatcher, test_pki: Pki, clock: ShiftedClock
) -> Iterator[Sandbox]:
    settings = SandboxSettings(
        database_path=str(tmp_path / "vss.sqlite3"),
        smtp_port=mail.port,
        trust_store_dir=str(test_pki.trust_dir),
    )
    server = ThreadedServer(create_sandbox_app(settings, clock))
    server.start()
    yield Sandbox(server)
    server.stop()


@pytest.fixture
async def client(
    settings: Settings, sandbox: Sandbox, clock: ShiftedClock, mail: MailCatcher
) -> AsyncIterator[Client]:
    app = create_app(
        Settings(**{**_fields(settings), "vss_url": sandbox.url, "smtp_port": mail.port}),
        clock=clock,
        with_worker=True,
        configure_logs=False,
    )
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        in_app(test_client, settle_outbox)
        yield test_client
        in_app(test_client, settle_outbox)


def _fields(settings: Settings) -> dict[str, Any]:
    return msgspec.structs.asdict(settings)
