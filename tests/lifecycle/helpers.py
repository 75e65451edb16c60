"""Helpers of lifecycle tests: the sandbox's HTTP handle, and steps of the dossier flows
(create, wait for a state, read the activation mail and activate, wait for a notice).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.demo.threaded import ThreadedServer
from ebhxh.vss_sandbox.inbox import MailCatcher, activation_code, read_inbox
from tests.conftest import UNIT_EMAIL, TenantHandle

Client = AsyncTestClient[Litestar]


class Sandbox:
    def __init__(self, server: ThreadedServer) -> None:
        self.server = server
        self.url = server.url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}{path}", timeout=10, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def approve(self, receipt_id: str) -> Any:
        return self.call("POST", f"/officer/dossiers/{receipt_id}/approve")

    def reject(self, receipt_id: str, reason: str) -> Any:
        return self.call("POST", f"/officer/dossiers/{receipt_id}/reject", json={"reason": reason})


async def until(client: Client, tenant: TenantHandle, dossier_id: str, state: str) -> Any:
    """Poll the dossier until the worker brings it to `state` (bounded: 30 s)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        dossier = (await client.get(f"/dossiers/{dossier_id}", headers=tenant.headers)).json()
        if dossier["state"] == state:
            return dossier
        assert asyncio.get_running_loop().time() < deadline, dossier
        await asyncio.sleep(0.1)


async def notified(mail: MailCatcher, tenant: TenantHandle, subject_part: str) -> Any:
    """The notification to the tenant's admin whose subject has `subject_part` (waits up to
    45 s: the reminder goes through two 5-second crons, slower on a loaded machine).
    """
    admin = tenant.created.slug
    deadline = asyncio.get_running_loop().time() + 45
    while asyncio.get_running_loop().time() < deadline:
        for message in read_inbox(mail.folder):
            if f"admin@{admin}.example" in message["To"] and subject_part in message["Subject"]:
                return message
        await asyncio.sleep(0.2)
    raise AssertionError(f"no notification '{subject_part}' to the admin of {admin}")


async def create_dossier(client: Client, tenant: TenantHandle, unit_id: str, kind: str) -> Any:
    created = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": kind}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    return created.json()


async def activate(
    client: Client, tenant: TenantHandle, mail: MailCatcher, dossier: Any, to: str = UNIT_EMAIL
) -> Any:
    code = await asyncio.to_thread(activation_code, mail.folder, to, dossier["receipt_id"])
    activated = await client.post(
        f"/dossiers/{dossier['id']}/activation", json={"code": code}, headers=tenant.headers
    )
    assert activated.status_code == 200, activated.text
    return activated.json()
