"""Signing in through the provider we control: configure a tenant for it, and one attempt
from /auth/login to our callback's answer (the provider redirects straight back).
"""

from __future__ import annotations

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TenantHandle, tenant_on
from tests.sso.conftest import ROLE_MAPPING
from tests.sso.rogue_idp import RogueProvider

Client = AsyncTestClient[Litestar]


async def configure_rogue(client: Client, rogue: RogueProvider) -> TenantHandle:
    tenant = tenant_on(client)
    answer = await client.put(
        "/identity-provider",
        headers=tenant.headers,
        json={
            "issuer": rogue.issuer,
            "client_id": rogue.client_id,
            "client_secret": rogue.client_secret,
            "role_mapping": ROLE_MAPPING,
        },
    )
    assert answer.status_code == 200, answer.text
    return tenant


async def attempt(client: Client, tenant: TenantHandle) -> httpx.Response:
    started = await client.get(f"/auth/login?tenant={tenant.created.slug}", follow_redirects=False)
    assert started.status_code == 302, started.text
    async with httpx.AsyncClient() as browser:
        back = await browser.get(started.headers["location"])
    assert back.status_code == 302
    callback = httpx.URL(back.headers["location"])
    return await client.get(f"{callback.path}?{callback.query.decode()}", follow_redirects=False)
