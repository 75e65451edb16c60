"""Fixtures of the SSO tests: the certified provider (one per run), and the app served as
https://sso.test so that its `Secure` session cookie travels like in production.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.settings import Settings
from tests.conftest import REDIS_URL, RUN_ID, SECRET_KEY, TenantHandle, tenant_on
from tests.sso.certified_idp import CertifiedProvider, ensure_installed
from tests.sso.rogue_idp import RogueProvider

PUBLIC_URL = "https://sso.test"
REDIRECT_URI = PUBLIC_URL + "/auth/callback"


@pytest.fixture(scope="session")
def certified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CertifiedProvider]:
    ensure_installed()
    provider = CertifiedProvider(tmp_path_factory.mktemp("oidc-provider"), REDIRECT_URI)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def rogue() -> Iterator[RogueProvider]:
    """A provider we control (see `tests.sso.rogue_idp`)."""
    provider = RogueProvider()
    provider.server.start()
    yield provider
    provider.server.stop()


@pytest.fixture
def sso_settings(pg_url: str) -> Settings:
    return Settings(
        database_url=pg_url,
        redis_url=REDIS_URL,
        # A queue (and so a sign-in rate-limit count) per test: the tests sign in often.
        queue_name=f"ebhxh-test-{RUN_ID}-{uuid.uuid4().hex[:6]}:queue",
        secret_keys=(SECRET_KEY,),
        public_url=PUBLIC_URL,
    )


@pytest.fixture
async def sso_client(sso_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(sso_settings, configure_logs=False)
    async with AsyncTestClient(app=app, base_url=PUBLIC_URL) as client:
        yield client


class People:
    """The provider's accounts for one test: emails at a domain of that test's own."""

    def __init__(self, provider: CertifiedProvider) -> None:
        self.provider = provider
        self.domain = f"c{uuid.uuid4().hex[:10]}.example"
        self.accounts: dict[str, dict[str, Any]] = {}

    def add(self, login: str, *groups: str) -> str:
        email = f"{login}@{self.domain}"
        self.accounts[login] = {"email": email, "name": login.title(), "groups": list(groups)}
        self.provider.set_users(self.accounts)
        return email


@pytest.fixture
def people(certified: CertifiedProvider) -> People:
    return People(certified)


ROLE_MAPPING = {"ebhxh-admins": ["admin"], "ebhxh-hr": ["hr"], "ebhxh-viewers": ["viewer"]}


async def configure_sso(
    client: AsyncTestClient[Litestar],
    tenant: TenantHandle,
    provider: CertifiedProvider,
    domains: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Configure the tenant's provider through the admin API, as a tenant admin would."""
    response = await client.put(
        "/identity-provider",
        headers=tenant.headers,
        json={
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "scopes": ["openid", "email", "profile", "groups"],
            "roles_claim": "groups",
            "role_mapping": ROLE_MAPPING,
            "email_domains": list(domains),
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def new_tenant(client: AsyncTestClient[Litestar]) -> TenantHandle:
    return tenant_on(client)


@pytest.fixture
async def sso_tenant(
    sso_client: AsyncTestClient[Litestar], certified: CertifiedProvider
) -> TenantHandle:
    """A new tenant whose identity provider is the certified one."""
    tenant = new_tenant(sso_client)
    await configure_sso(sso_client, tenant, certified)
    return tenant
