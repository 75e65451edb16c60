"""Unit declaration (seed step 3.2) through the real app, on PostgreSQL and SQLite."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import HANOI_TREE, HQ_DECLARATION, TenantHandle

Client = AsyncTestClient[Litestar]


async def _with_tree(client: Client, tenant: TenantHandle) -> None:
    response = await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    assert response.status_code == 200, response.text


def _declaration(**overrides: Any) -> dict[str, Any]:
    return {**HQ_DECLARATION, **overrides}


@pytest.mark.sqlite
async def test_a_hanoi_first_time_unit_takes_the_electronic_route(
    client: Client, tenant: TenantHandle
) -> None:
    await _with_tree(client, tenant)
    response = await client.post("/units", json=_declaration(), headers=tenant.headers)
    assert response.status_code == 201, response.text
    unit = response.json()
    assert unit["route"] == "electronic"
    assert unit["province"]["code"] == "01"
    assert unit["province"]["office"] == "Bảo hiểm xã hội thành phố Hà Nội"
    assert unit["unit_code"] is None
    assert unit["next_step"]["code"] == "register_unit_code"
    assert "ký nộp hồ sơ đăng ký mã đơn vị" in unit["next_step"]["message"]

    listed = await client.get("/units", headers=tenant.headers)
    assert [u["id"] for u in listed.json()["units"]] == [unit["id"]]
    fetched = await client.get(f"/units/{unit['id']}", headers=tenant.headers)
    assert fetched.json() == unit


@pytest.mark.sqlite
async def test_da_nang_takes_the_paper_route_and_quang_nam_resolves_to_it(
    client: Client, tenant: TenantHandle
) -> None:
    await _with_tree(client, tenant)
    da_nang = await client.post(
        "/units",
        json=_declaration(
            org_node_external_id="BR-DN",
            name="Chi nhánh Đà Nẵng",
            tax_code="0100109106-001",
            province="Đà Nẵng",
        ),
        headers={**tenant.headers, "Accept-Language": "en"},
    )
    assert da_nang.status_code == 201, da_nang.text
    assert da_nang.json()["route"] == "paper"
    assert da_nang.json()["next_step"]["code"] == "paper_registration"
    assert "one-stop desk" in da_nang.json()["next_step"]["message"]

    quang_nam = await client.post(
        "/units",
        json=_declaration(
            org_node_external_id="SUB-QN",
            name="Công ty TNHH Quảng Nam",
            tax_code="4000101005",
            province="Quảng Nam",
            first_time_participant=False,
            unit_code="TZH490L",
        ),
        headers=tenant.headers,
    )
    assert quang_nam.status_code == 201, quang_nam.text
    body = quang_nam.json()
    assert body["province"]["code"] == "48"
    assert body["province"]["name"] == "Đà Nẵng"
    assert "Quảng Nam" in body["province"]["formerly"]
    assert body["route"] == "paper"
    assert body["unit_code"] == "TZH490L"
    assert body["next_step"]["code"] == "register_service"


async def test_a_tax_code_declared_twice_in_one_tenant_is_refused(
    client: Client, tenant: TenantHandle
) -> None:
    await _with_tree(client, tenant)
    first = await client.post("/units", json=_declaration(), headers=tenant.headers)
    assert first.status_code == 201
    again = await client.post(
        "/units",
        json=_declaration(org_node_external_id="SUB-QN"),
        headers=tenant.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "unit_tax_code_taken"
    assert again.json()["field"] == "tax_code"
    listed = await client.get("/units", headers=tenant.headers)
    assert len(listed.json()["units"]) == 1


async def test_the_same_tax_code_in_two_tenants_is_allowed(
    client: Client, make_tenant: Any
) -> None:
    for _ in range(2):
        tenant = await make_tenant()
        await _with_tree(client, tenant)
        response = await client.post("/units", json=_declaration(), headers=tenant.headers)
        assert response.status_code == 201, response.text


async def test_a_node_declared_twice_is_refused(client: Client, tenant: TenantHandle) -> None:
    await _with_tree(client, tenant)
    assert (await client.post("/units", json=_declaration(), headers=tenant.headers)).is_success
    other_tax = _declaration(org_node_external_id="HQ", tax_code="0100109106-002")
    tree = copy.deepcopy(HANOI_TREE)
    tree["nodes"][0]["tax_code"] = None
    await client.put("/organisation", json=tree, headers=tenant.headers)
    again = await client.post("/units", json=other_tax, headers=tenant.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "unit_node_taken"


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"tax_code": "0100109107"}, 422, "tax_code_checksum", "tax_code"),
        ({"tax_code": "0100000000"}, 422, "tax_code_zero_body", "tax_code"),
        ({"tax_code": "0100109106-000"}, 422, "tax_code_branch_suffix", "tax_code"),
        ({"tax_code": "01001"}, 422, "tax_code_format", "tax_code"),
        ({"province": "Atlantis"}, 422, "province_unknown", "province"),
        ({"first_time_participant": False}, 422, "unit_participation", "unit_code"),
        ({"unit_code": "TZH490L"}, 422, "unit_participation", "first_time_participant"),
        (
            {"first_time_participant": False, "unit_code": "tzh490l"},
            422,
            "unit_code_format",
            "unit_code",
        ),
        (
            {"first_time_participant": False, "unit_code": "TZH49"},
            422,
            "unit_code_format",
            "unit_code",
        ),
        ({"org_node_external_id": "NOPE"}, 422, "org_node_not_found", "org_node_external_id"),
        ({"org_node_external_id": "HR"}, 422, "org_node_not_legal_entity", "org_node_external_id"),
        ({"tax_code": "0101243150"}, 422, "unit_tax_code_mismatch", "tax_code"),
        ({"name": ""}, 422, "invalid_value", "name"),
        ({"first_time_participant": "yes"}, 422, "invalid_type", "first_time_participant"),
        ({"colour": "blue"}, 422, "unknown_field", "colour"),
    ],
)
async def test_bad_declarations_are_refused_naming_the_field(
    client: Client,
    tenant: TenantHandle,
    overrides: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    await _with_tree(client, tenant)
    response = await client.post("/units", json=_declaration(**overrides), headers=tenant.headers)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["field"]) == (code, field)
    assert problem["detail"]
    listed = await client.get("/units", headers=tenant.headers)
    assert listed.json()["units"] == []


async def test_a_missing_field_is_named(client: Client, tenant: TenantHandle) -> None:
    body = _declaration()
    del body["province"]
    response = await client.post("/units", json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("field_required", "province")


async def test_provinces_are_listed_with_their_route(client: Client, tenant: TenantHandle) -> None:
    response = await client.get("/provinces", headers=tenant.headers)
    provinces = response.json()["provinces"]
    assert len(provinces) == 34
    routes = {p["name"]: p["route"] for p in provinces}
    assert routes["Hà Nội"] == "electronic"
    assert routes["Đà Nẵng"] == "paper"


@pytest.mark.parametrize("name", ["Công ty\x00 Sông Hồng", "Công ty\nSông Hồng", "A\x07B"])
async def test_control_characters_are_refused(
    client: Client, tenant: TenantHandle, name: str
) -> None:
    await _with_tree(client, tenant)
    response = await client.post("/units", json=_declaration(name=name), headers=tenant.headers)
    assert (response.status_code, response.json()["field"]) == (422, "name")
