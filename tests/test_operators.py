"""Platform operators: they list tenants, act in one only through a reasoned, expiring
support grant, cannot mint lasting credentials through it, and every request of theirs is
in the audit trail, which the tenant's admins can read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.operators.service import add_operator
from ebhxh.operators.tables import SupportGrant
from ebhxh.settings import Settings
from tests.conftest import HANOI_TREE, HQ_DECLARATION, in_app, run_cli, settings_env

Client = AsyncTestClient[Litestar]
REASON = "Khách hàng báo lỗi khi khai báo đơn vị (ticket 4711)"


def _operator(client: Client, email: str | None = None) -> dict[str, str]:
    email = email or f"support-{uuid.uuid4().hex[:8]}@ebhxh.vn"
    _, token = in_app(client, add_operator, email, "Hỗ trợ")
    return {"Authorization": f"Bearer {token}"}


async def _unit(client: Client, headers: dict[str, str]) -> str:
    await client.put("/organisation", json=HANOI_TREE, headers=headers)
    response = await client.post("/units", json=HQ_DECLARATION, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.sqlite
async def test_operator_lists_tenants_but_reads_no_tenant_data(
    client: Client, make_tenant: Any
) -> None:
    tenant = await make_tenant()
    await _unit(client, tenant.headers)
    operator = _operator(client)

    listed = await client.get("/operator/tenants", headers=operator)
    assert listed.status_code == 200, listed.text
    mine = next(t for t in listed.json()["tenants"] if t["id"] == str(tenant.id))
    assert (mine["units"], mine["memberships"], mine["open_support_grants"]) == (1, 1, 0)

    # An operator token is no key to a tenant's data, and a tenant's token none to /operator.
    assert (await client.get("/units", headers=operator)).status_code in (401, 403)
    refused = await client.get("/operator/tenants", headers=tenant.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


@pytest.mark.sqlite
async def test_support_grant_acts_in_one_tenant_with_its_roles_until_revoked(
    client: Client, make_tenant: Any
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    unit_id = await _unit(client, tenant.headers)
    other_unit = await _unit(client, other.headers)
    operator = _operator(client)
    slug = tenant.created.slug

    too_short = await client.post(
        f"/operator/tenants/{slug}/support-grants", json={"reason": "x"}, headers=operator
    )
    assert too_short.status_code == 422
    assert too_short.json()["field"] == "reason"
    unknown = await client.post(
        "/operator/tenants/no-such-tenant/support-grants", json={"reason": REASON}, headers=operator
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "tenant_not_found")

    opened = await client.post(
        f"/operator/tenants/{slug}/support-grants",
        json={"reason": REASON, "roles": ["viewer"], "minutes": 30},
        headers=operator,
    )
    assert opened.status_code == 201, opened.text
    grant = opened.json()["grant"]
    assert grant["roles"] == ["viewer"] and grant["active"] is True
    support = {"Authorization": f"Bearer {opened.json()['token']}"}

    seen = await client.get(f"/units/{unit_id}", headers=support)
    assert seen.status_code == 200, seen.text
    assert (await client.get(f"/units/{other_unit}", headers=support)).status_code == 404
    write = await client.post("/units", json=HQ_DECLARATION, headers=support)
    assert write.status_code == 403  # a viewer grant reads only
    minted = await client.post("/devices/pairing-codes", headers=support)
    assert (minted.status_code, minted.json()["code"]) == (403, "support_grant_no_credentials")
    # Not even an admin grant may decide who signs in (it would outlive the grant, unaudited).
    admin_grant = await client.post(
        f"/operator/tenants/{slug}/support-grants",
        json={"reason": REASON, "roles": ["admin"], "minutes": 30},
        headers=operator,
    )
    as_admin = {"Authorization": f"Bearer {admin_grant.json()['token']}"}
    provider = {"issuer": "https://idp.attacker.example", "client_id": "x", "client_secret": "y"}
    taken = await client.put("/identity-provider", json=provider, headers=as_admin)
    assert (taken.status_code, taken.json()["code"]) == (403, "support_grant_no_credentials")
    dropped = await client.delete("/identity-provider", headers=as_admin)
    assert (dropped.status_code, dropped.json()["code"]) == (403, "support_grant_no_credentials")

    revoked = await client.delete(f"/operator/support-grants/{grant['id']}", headers=operator)
    assert revoked.status_code == 204
    assert (await client.get(f"/units/{unit_id}", headers=support)).status_code == 401


@pytest.mark.sqlite
async def test_an_expired_grant_no_longer_works(client: Client, make_tenant: Any) -> None:
    tenant = await make_tenant()
    operator = _operator(client)
    opened = await client.post(
        f"/operator/tenants/{tenant.created.slug}/support-grants",
        json={"reason": REASON, "minutes": 5},
        headers=operator,
    )
    support = {"Authorization": f"Bearer {opened.json()['token']}"}
    assert (await client.get("/units", headers=support)).status_code == 200

    async def expire() -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await SupportGrant.update({SupportGrant.expires_at: past}).where(
            SupportGrant.tenant == tenant.id
        )

    in_app(client, expire)
    assert (await client.get("/units", headers=support)).status_code == 401


@pytest.mark.sqlite
async def test_every_operator_request_is_in_the_audit_trail_the_tenant_can_read(
    client: Client, make_tenant: Any
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    unit_id = await _unit(client, tenant.headers)
    email = f"an.nguyen-{uuid.uuid4().hex[:8]}@ebhxh.vn"
    operator = _operator(client, email)
    await client.get("/operator/tenants", headers=operator)
    opened = await client.post(
        f"/operator/tenants/{tenant.created.slug}/support-grants",
        json={"reason": REASON, "roles": ["viewer"]},
        headers=operator,
    )
    support = {"Authorization": f"Bearer {opened.json()['token']}"}
    await client.get(f"/units/{unit_id}", headers=support)
    await client.post("/units", json=HQ_DECLARATION, headers=support)

    trail = await client.get(f"/operator/actions?tenant={tenant.created.slug}", headers=operator)
    assert trail.status_code == 200, trail.text
    done = [(a["method"], a["path"], a["status"]) for a in trail.json()["actions"]]
    assert done == [("POST", "/units", 403), ("GET", f"/units/{unit_id}", 200)]
    everything = (await client.get("/operator/actions", headers=operator)).json()["actions"]
    mine = {(a["operation_id"], a["status"]) for a in everything if a["operator_email"] == email}
    assert {("listTenantsForOperator", 200), ("openSupportGrant", 201)} <= mine

    access = await client.get("/support-access", headers=tenant.headers)
    assert access.status_code == 200, access.text
    body = access.json()
    assert [g["reason"] for g in body["grants"]] == [REASON]
    assert [a["operation_id"] for a in body["actions"]] == ["declareUnit", "getUnit"]
    assert all(a["operator_email"] == email for a in body["actions"])
    theirs = (await client.get("/support-access", headers=other.headers)).json()
    assert theirs == {"grants": [], "actions": []}


def test_operators_cli_adds_lists_and_revokes(settings: Settings) -> None:
    env = settings_env(settings)
    email = f"ops-{uuid.uuid4().hex[:8]}@ebhxh.vn"
    added = run_cli("operators", "add", "--email", email, env=env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("ebhxhop_")
    again = run_cli("operators", "add", "--email", email, env=env)
    assert again.returncode != 0 and "already an operator" in again.stderr
    listed = run_cli("operators", "list", env=env)
    assert email in listed.stdout and "active" in listed.stdout
    revoked = run_cli("operators", "revoke", "--email", email, env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in run_cli("operators", "list", env=env).stdout


@pytest.mark.sqlite
async def test_every_operator_route_refuses_tenant_and_support_credentials(
    client: Client, make_tenant: Any
) -> None:
    tenant = await make_tenant()
    operator = _operator(client)
    opened = await client.post(
        f"/operator/tenants/{tenant.created.slug}/support-grants",
        json={"reason": REASON, "roles": ["admin"]},
        headers=operator,
    )
    support = {"Authorization": f"Bearer {opened.json()['token']}"}
    schema = (await client.get("/docs/openapi.json")).json()
    checked = 0
    for template, operations in schema["paths"].items():
        if not template.startswith("/operator/"):
            continue
        path = template.replace("{slug}", tenant.created.slug).replace(
            "{grant_id}", opened.json()["grant"]["id"]
        )
        for method in operations:
            body = {"reason": REASON} if method == "post" else None
            for headers in (tenant.headers, support):
                response = await client.request(method, path, json=body, headers=headers)
                assert response.status_code == 403, (method, path, response.text)
            checked += 1
    assert checked == 5
    still = await client.get("/units", headers=support)
    assert still.status_code == 200  # the refused revocation did not revoke anything
