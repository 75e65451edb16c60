"""Activation-code guessing is bounded by the platform itself: at most 5 codes are checked
against one code, even when the guesses arrive at once, and a new code starts over.

The gateway to the real VSS sandbox is wrapped to count the codes that reach VSS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.clock import ShiftedClock
from ebhxh.gateway.contract import Receipt
from ebhxh.gateway.http import HttpVssGateway
from ebhxh.settings import Settings
from ebhxh.vss_sandbox.inbox import MailCatcher, activation_code
from tests.conftest import UNIT_EMAIL, Pki, TenantHandle, in_app, settle_outbox, signed_unit
from tests.lifecycle.helpers import Client, Sandbox, activate, create_dossier, until

GUESSES = 12


class CountingGateway(HttpVssGateway):
    """The HTTP gateway to the sandbox, counting the codes it forwards."""

    activations = 0

    async def activate(self, receipt_id: str, code: str) -> Receipt:
        self.activations += 1
        return await super().activate(receipt_id, code)


@pytest.fixture
def gateway(sandbox: Sandbox) -> CountingGateway:
    return CountingGateway(sandbox.url)


@pytest.fixture
async def client(
    settings: Settings,
    sandbox: Sandbox,
    clock: ShiftedClock,
    mail: MailCatcher,
    gateway: CountingGateway,
) -> AsyncIterator[Client]:
    fields: dict[str, Any] = msgspec.structs.asdict(settings)
    app = create_app(
        Settings(**{**fields, "vss_url": sandbox.url, "smtp_port": mail.port}),
        clock=clock,
        gateway=gateway,
        with_worker=True,
        configure_logs=False,
    )
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        in_app(test_client, settle_outbox)
        yield test_client
        in_app(test_client, settle_outbox)


@pytest.mark.sqlite
async def test_concurrent_wrong_codes_reach_vss_at_most_five_times(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    mail: MailCatcher,
    gateway: CountingGateway,
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    waiting = await until(client, tenant, created["id"], "awaiting_activation")
    right = await asyncio.to_thread(activation_code, mail.folder, UNIT_EMAIL, waiting["receipt_id"])
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    path = f"/dossiers/{created['id']}/activation"

    answers = await asyncio.gather(
        *(client.post(path, json={"code": wrong}, headers=tenant.headers) for _ in range(GUESSES))
    )

    statuses = sorted((a.status_code, a.json()["code"]) for a in answers)
    assert gateway.activations <= 5, gateway.activations
    assert statuses.count((423, "activation_locked")) >= GUESSES - 5, statuses
    assert set(statuses) <= {(422, "activation_code_wrong"), (423, "activation_locked")}
    # Even the right code is refused now, without asking VSS: the lock is the platform's.
    before = gateway.activations
    locked = await client.post(path, json={"code": right}, headers=tenant.headers)
    assert (locked.status_code, locked.json()["code"]) == (423, "activation_locked")
    assert "yêu cầu mã mới" in locked.json()["detail"]
    assert gateway.activations == before
    # A new code resets the count: it activates at the first try.
    renewed = await client.post(
        f"/dossiers/{created['id']}/activation-code", json={}, headers=tenant.headers
    )
    assert renewed.status_code == 200, renewed.text
    await asyncio.sleep(0.2)
    assert (await activate(client, tenant, mail, renewed.json()))["state"] == "with_officer"
