"""What a sign-in does to users and memberships, below the HTTP flow: concurrent first
sign-ins of one person make one user; the roles claim may be a list or a single value;
discovery documents are cached.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.settings import Settings
from ebhxh.sso.oidc import OidcClient
from ebhxh.sso.schemas import IdentityProviderConfig
from ebhxh.sso.service import SignedIn, mapped_roles, sign_in
from ebhxh.sso.tables import SsoIdentity
from ebhxh.tenancy.tables import Membership, Role, User
from tests.conftest import in_app, tenant_on
from tests.sso.rogue_idp import RogueProvider

CONFIG = IdentityProviderConfig(
    issuer="https://idp.example.vn",
    client_id="ebhxh",
    client_secret="s",
    roles_claim="roles",
    role_mapping={"HR": (Role.HR,), "Signers": (Role.SIGNER, Role.VIEWER)},
)


def test_the_roles_claim_may_be_a_list_or_one_value() -> None:
    assert mapped_roles({"roles": ["HR", "Signers", 7, "Other"]}, CONFIG) == {
        Role.HR,
        Role.SIGNER,
        Role.VIEWER,
    }
    assert mapped_roles({"roles": "HR"}, CONFIG) == {Role.HR}
    assert mapped_roles({"roles": {"HR": True}}, CONFIG) == frozenset()
    assert mapped_roles({}, CONFIG) == frozenset()


async def test_two_first_sign_ins_at_once_make_one_user(
    sso_client: AsyncTestClient[Litestar], sso_settings: Settings
) -> None:
    tenant = tenant_on(sso_client)
    scope = TenantScope(tenant.id)
    email = f"twice-{uuid.uuid4().hex[:8]}@example.vn"
    claims: dict[str, Any] = {"sub": f"sub-{email}", "email": email, "roles": ["HR"]}

    async def both() -> list[SignedIn]:
        now = dt.datetime.now(dt.UTC)
        return list(
            await asyncio.gather(
                *(
                    sign_in(
                        scope, CONFIG, claims, issuer=CONFIG.issuer, now=now, settings=sso_settings
                    )
                    for _ in range(2)
                )
            )
        )

    first, second = in_app(sso_client, both)

    assert first.user_id == second.user_id
    assert first.session_id != second.session_id

    async def counts() -> tuple[int, int, int]:
        users = await User.count().where(User.email == email)
        identities = await scope.count(SsoIdentity).where(SsoIdentity.user == first.user_id)
        roles = await scope.count(Membership).where(Membership.user == first.user_id)
        return users, identities, roles

    assert in_app(sso_client, counts) == (1, 1, 1)


async def test_discovery_is_fetched_once_and_cached(rogue: RogueProvider) -> None:
    client = OidcClient(timeout=5)
    before = rogue.discovery_requests
    first = await client.metadata(rogue.issuer)
    second = await client.metadata(rogue.issuer)
    assert first == second and first.token_endpoint == rogue.issuer + "/token"
    assert rogue.discovery_requests == before + 1
    assert (await OidcClient(timeout=5).metadata(rogue.issuer)) == first
    assert rogue.discovery_requests == before + 2  # a new client (process) fetches again
