"""Organisation sync (seed step 3.1): idempotent pushes, reports, and refused trees."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import HANOI_TREE, HQ_DECLARATION, TenantHandle

Client = AsyncTestClient[Litestar]


async def _push(client: Client, tenant: TenantHandle, tree: dict[str, Any]) -> Any:
    return await client.put("/organisation", json=tree, headers=tenant.headers)


@pytest.mark.sqlite
async def test_a_repeated_push_is_idempotent(client: Client, tenant: TenantHandle) -> None:
    first = await _push(client, tenant, HANOI_TREE)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["updated"], report["removed"], report["unchanged"]) == ([], [], 0)
    assert sorted(report["created"]) == ["BR-DN", "HQ", "HR", "SUB-QN"]
    second = await _push(client, tenant, HANOI_TREE)
    assert second.json() == {"created": [], "updated": [], "removed": [], "unchanged": 4}
    tree = (await client.get("/organisation", headers=tenant.headers)).json()["nodes"]
    assert tree[0]["external_id"] == "HQ"  # parents first
    by_id = {n["external_id"]: n for n in tree}
    assert by_id["BR-DN"]["parent_external_id"] == "HQ"
    assert by_id["HR"]["legal_entity"] is False
    assert by_id["BR-DN"]["tax_code"] == "0100109106-001"


@pytest.mark.sqlite
async def test_changes_are_reported_by_external_id(client: Client, tenant: TenantHandle) -> None:
    await _push(client, tenant, HANOI_TREE)
    tree = copy.deepcopy(HANOI_TREE)
    tree["nodes"][1]["name"] = "Chi nhánh Đà Nẵng (mới)"
    tree["nodes"] = [n for n in tree["nodes"] if n["external_id"] != "HR"]
    tree["nodes"].append(
        {
            "external_id": "IT",
            "kind": "department",
            "name": "Phòng CNTT",
            "parent_external_id": "BR-DN",
        }
    )
    tree["nodes"][2]["parent_external_id"] = "BR-DN"  # SUB-QN moves under the branch
    report = (await _push(client, tenant, tree)).json()
    assert (report["created"], report["removed"], report["unchanged"]) == (["IT"], ["HR"], 1)
    assert sorted(report["updated"]) == ["BR-DN", "SUB-QN"]
    nodes = {
        n["external_id"]: n
        for n in (await client.get("/organisation", headers=tenant.headers)).json()["nodes"]
    }
    assert nodes["SUB-QN"]["parent_external_id"] == "BR-DN"
    assert nodes["IT"]["parent_external_id"] == "BR-DN"
    assert "HR" not in nodes


async def test_one_node_can_be_read_by_id(client: Client, tenant: TenantHandle) -> None:
    await _push(client, tenant, HANOI_TREE)
    nodes = (await client.get("/organisation", headers=tenant.headers)).json()["nodes"]
    branch = next(n for n in nodes if n["external_id"] == "BR-DN")
    response = await client.get(f"/organisation/nodes/{branch['id']}", headers=tenant.headers)
    assert response.json() == branch


async def test_removing_a_node_a_unit_uses_is_refused_whole(
    client: Client, tenant: TenantHandle
) -> None:
    await _push(client, tenant, HANOI_TREE)
    declared = await client.post(
        "/units",
        json={
            "org_node_external_id": "BR-DN",
            "name": "CN Đà Nẵng",
            "tax_code": "0100109106-001",
            "province": "Đà Nẵng",
            "first_time_participant": True,
        },
        headers=tenant.headers,
    )
    assert declared.status_code == 201
    tree = copy.deepcopy(HANOI_TREE)
    tree["nodes"] = [n for n in tree["nodes"] if n["external_id"] not in ("BR-DN", "HR")]
    tree["nodes"][0]["name"] = "Tên mới"
    refused = await _push(client, tenant, tree)
    assert refused.status_code == 409
    assert refused.json()["code"] == "org_node_in_use"
    assert "BR-DN" in refused.json()["detail"]
    nodes = (await client.get("/organisation", headers=tenant.headers)).json()["nodes"]
    assert len(nodes) == 4
    assert (
        next(n for n in nodes if n["external_id"] == "HQ")["name"] == HANOI_TREE["nodes"][0]["name"]
    )


async def test_a_unit_node_cannot_become_a_department(client: Client, tenant: TenantHandle) -> None:
    await _push(client, tenant, HANOI_TREE)
    await client.post(
        "/units",
        json=HQ_DECLARATION,
        headers=tenant.headers,
    )
    tree = copy.deepcopy(HANOI_TREE)
    tree["nodes"][0]["kind"] = "department"
    refused = await _push(client, tenant, tree)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["field"]) == (
        "org_node_not_legal_entity",
        "nodes[0].kind",
    )


def _tree(*nodes: tuple[str, str | None]) -> dict[str, Any]:
    return {
        "nodes": [
            {"external_id": ext, "kind": "company", "name": ext, "parent_external_id": parent}
            for ext, parent in nodes
        ]
    }


@pytest.mark.parametrize(
    ("tree", "code", "field"),
    [
        (_tree(("A", None), ("A", None)), "org_duplicate_external_id", "nodes[1].external_id"),
        (_tree(("A", None), ("B", "Z")), "org_unknown_parent", "nodes[1].parent_external_id"),
        (_tree(("A", "A")), "org_cycle", "nodes[0].parent_external_id"),
        (_tree(("R", None), ("A", "C"), ("B", "A"), ("C", "B")), "org_cycle", None),
        (
            {
                "nodes": [
                    {"external_id": "A", "kind": "company", "name": "A", "tax_code": "0100109107"}
                ]
            },
            "tax_code_checksum",
            "nodes[0].tax_code",
        ),
        (
            {"nodes": [{"external_id": "A", "kind": "ministry", "name": "A"}]},
            "invalid_value",
            "nodes[0].kind",
        ),
        ({"nodes": [{"external_id": "A", "kind": "company"}]}, "field_required", "nodes[0].name"),
        (
            {"nodes": [{"external_id": " ", "kind": "company", "name": "A"}]},
            "invalid_value",
            "nodes[0].external_id",
        ),
        ({"tree": []}, "unknown_field", "tree"),
    ],
)
async def test_bad_trees_are_refused_and_change_nothing(
    client: Client, tenant: TenantHandle, tree: dict[str, Any], code: str, field: str | None
) -> None:
    response = await _push(client, tenant, tree)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    if field is not None:
        assert response.json()["field"] == field
    else:
        assert response.json()["field"].endswith(".parent_external_id")
    assert (await client.get("/organisation", headers=tenant.headers)).json()["nodes"] == []
