"""A tenant admin's `/identity-provider`: the client secret goes in, is stored encrypted and
never comes out; email domains belong to one tenant; the service functions the declarative
manifests use read back what was written. On both backends.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.secrets.box import SecretBox
from ebhxh.sso.schemas import IdentityProviderConfig
from ebhxh.sso.service import (
    configure_identity_provider,
    read_identity_provider,
    remove_identity_provider,
)
from ebhxh.sso.tables import IdentityProvider
from ebhxh.tenancy.bootstrap import add_member
from ebhxh.tenancy.tables import Role
from tests.conftest import SECRET_KEY, TenantHandle, in_app

Client = AsyncTestClient[Litestar]
SECRET = "s3cret-of-the-idp-client"
BODY: dict[str, Any] = {
    "issuer": "https://login.songhong.example.vn",
    "client_id": "ebhxh-songhong",
    "client_secret": SECRET,
    "scopes": ["openid", "email", "profile"],
    "roles_claim": "roles",
    "role_mapping": {"HR-Team": ["hr"], "IT-Admins": ["admin", "viewer"]},
}
BOX = SecretBox([SECRET_KEY.encode()])


def _stored(client: Client, tenant: TenantHandle) -> bytes:
    async def read() -> Any:
        rows = await TenantScope(tenant.id).select(
            IdentityProvider, IdentityProvider.client_secret_ciphertext
        )
        return rows[0]["client_secret_ciphertext"]

    return bytes(in_app(client, read))


@pytest.mark.sqlite
async def test_the_secret_goes_in_and_never_comes_out(
    client: Client, make_tenant: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = await make_tenant()
    missing = await client.get("/identity-provider", headers=tenant.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "identity_provider_not_found"

    put = await client.put("/identity-provider", json=BODY, headers=tenant.headers)

    assert put.status_code == 200, put.text
    got = await client.get("/identity-provider", headers=tenant.headers)
    assert got.status_code == 200
    shown = got.json()
    assert shown["client_secret_set"] is True
    assert SECRET not in put.text + got.text
    assert shown["role_mapping"] == {"HR-Team": ["hr"], "IT-Admins": ["admin", "viewer"]}
    assert shown["redirect_uri"].endswith("/auth/callback")
    ciphertext = _stored(client, tenant)
    assert SECRET.encode() not in ciphertext
    assert BOX.decrypt(ciphertext) == SECRET.encode()

    # Left out, the secret is kept; the rest is replaced.
    changed = {k: v for k, v in BODY.items() if k != "client_secret"} | {"client_id": "other"}
    assert (await client.put("/identity-provider", json=changed, headers=tenant.headers)).is_success
    config = in_app(client, read_identity_provider, TenantScope(tenant.id), BOX)
    assert config.client_secret == SECRET and config.client_id == "other"
    assert SECRET not in repr(config)
    assert SECRET not in capsys.readouterr().out


@pytest.mark.sqlite
async def test_bad_configurations_are_refused_with_the_field(
    client: Client, make_tenant: Any
) -> None:
    tenant = await make_tenant()
    no_secret = {k: v for k, v in BODY.items() if k != "client_secret"}
    cases = [
        (no_secret, "field_required", "client_secret"),
        ({**BODY, "issuer": "http://login.example.vn"}, "invalid_value", "issuer"),
        ({**BODY, "scopes": ["email"]}, "invalid_value", "scopes"),
        ({**BODY, "role_mapping": {"x": ["owner"]}}, "invalid_value", "role_mapping[...][0]"),
        ({**BODY, "email_domains": ["not a domain"]}, "invalid_value", "email_domains[0]"),
    ]
    for body, code, field in cases:
        answer = await client.put("/identity-provider", json=body, headers=tenant.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert (answer.json()["code"], answer.json()["field"]) == (code, field), answer.text


@pytest.mark.sqlite
async def test_only_admins_configure_and_each_tenant_sees_its_own(
    client: Client, make_tenant: Any
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    _, hr_token = in_app(client, add_member, tenant.id, email=f"hr@{tenant.id}.vn", role=Role.HR)
    hr = {"Authorization": f"Bearer {hr_token}"}
    assert (await client.put("/identity-provider", json=BODY, headers=hr)).status_code == 403
    assert (await client.get("/identity-provider", headers=hr)).status_code == 403
    assert (await client.put("/identity-provider", json=BODY, headers=tenant.headers)).is_success

    assert (await client.get("/identity-provider", headers=other.headers)).status_code == 404
    assert (await client.delete("/identity-provider", headers=other.headers)).status_code == 404
    assert (await client.delete("/identity-provider", headers=tenant.headers)).status_code == 204
    assert (await client.get("/identity-provider", headers=tenant.headers)).status_code == 404


@pytest.mark.sqlite
async def test_service_round_trip_and_domains_unique_across_tenants(
    client: Client, make_tenant: Any
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    domain = f"d{tenant.id.hex[:10]}.example.vn"
    config = IdentityProviderConfig(
        issuer="https://idp.example.vn/realms/songhong",
        client_id="ebhxh",
        client_secret=SECRET,
        role_mapping={"hr": (Role.HR,)},
        email_domains=(domain, "Second." + domain),
    )
    scope = TenantScope(tenant.id)

    in_app(client, configure_identity_provider, scope, config, BOX)

    read = in_app(client, read_identity_provider, scope, BOX)
    assert read == IdentityProviderConfig(
        issuer=config.issuer,
        client_id="ebhxh",
        client_secret=SECRET,
        role_mapping={"hr": (Role.HR,)},
        email_domains=(domain, "second." + domain),
    )
    clash = IdentityProviderConfig(
        issuer=config.issuer,
        client_id="x",
        client_secret="y",
        role_mapping={},
        email_domains=("second." + domain,),
    )
    with pytest.raises(ProblemError) as refused:
        in_app(client, configure_identity_provider, TenantScope(other.id), clash, BOX)
    assert refused.value.code is ErrorCode.SSO_EMAIL_DOMAIN_TAKEN
    assert refused.value.params["value"] == "second." + domain
    assert in_app(client, remove_identity_provider, scope) is True
    assert in_app(client, remove_identity_provider, scope) is False
    assert in_app(client, read_identity_provider, scope, BOX) is None
    # Once removed, the domain is free for the other tenant.
    in_app(client, configure_identity_provider, TenantScope(other.id), clash, BOX)
