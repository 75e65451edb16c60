"""Tenant isolation: every route that takes an id answers 404 to another tenant, and the
code reaches tenant data only through `TenantScope` (checked over the source).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.columns import ForeignKey, OnDelete

from ebhxh.db.registry import ALL_TABLES, GLOBAL_TABLES, TENANT_TABLES
from tests.conftest import HANOI_TREE, HQ_DECLARATION

Client = AsyncTestClient[Litestar]
PLATFORM = Path(__file__).resolve().parent.parent / "platform" / "ebhxh"

ALLOWED_UNSCOPED = {
    "db/tenant_scope.py",  # the scope itself
    "auth/tokens.py",  # resolving a token to its tenant happens before there is a scope
    "tenancy/bootstrap.py",  # creating a tenant happens before there is a principal
}
PUBLIC_PREFIXES = ("/static/", "/docs")
QUERY_METHODS = {"select", "objects", "update", "delete", "insert", "count", "exists", "raw"}


def test_every_table_is_global_or_carries_a_tenant() -> None:
    for table in ALL_TABLES:
        if table in GLOBAL_TABLES:
            continue
        column = table._meta.get_column_by_name("tenant")
        assert isinstance(column, ForeignKey), table
        assert column._meta.null is False, table


def test_no_foreign_key_cascades_away_business_data() -> None:
    for table in ALL_TABLES:
        for column in table._meta.foreign_key_columns:
            assert column._foreign_key_meta.on_delete is not OnDelete.cascade, (
                f"{table.__name__}.{column._meta.name}"
            )


def test_tenant_tables_are_queried_only_through_a_scope() -> None:
    tenant_names = {t.__name__ for t in TENANT_TABLES}
    offenders = []
    for path in PLATFORM.rglob("*.py"):
        relative = path.relative_to(PLATFORM).as_posix()
        if relative in ALLOWED_UNSCOPED or relative.startswith("db/migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in QUERY_METHODS
                and isinstance(node.value, ast.Name)
                and node.value.id in tenant_names
            ):
                offenders.append(f"{relative}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []


async def _populate(client: Client, headers: dict[str, str]) -> dict[str, str]:
    """Give a tenant one of everything an id can name; return the ids by path parameter."""
    await client.put("/organisation", json=HANOI_TREE, headers=headers)
    nodes = (await client.get("/organisation", headers=headers)).json()["nodes"]
    unit = await client.post(
        "/units",
        json=HQ_DECLARATION,
        headers=headers,
    )
    return {"node_id": nodes[0]["id"], "unit_id": unit.json()["id"]}


@pytest.mark.sqlite
async def test_every_route_with_an_id_is_404_for_another_tenant(
    client: Client, app: Litestar, make_tenant: Any
) -> None:
    owner, intruder = await make_tenant(), await make_tenant()
    ids = await _populate(client, owner.headers)
    await _populate(client, intruder.headers)
    checked = 0
    for route in app.routes:
        parameters = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        if not parameters or route.path.startswith(PUBLIC_PREFIXES):
            continue
        path = route.path
        for name in parameters:
            assert name in ids, f"no fixture id for {name} in {route.path}: extend _populate"
            path = re.sub(rf"{{{name}(?::\w+)?}}", ids[name], path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            as_owner = await client.request(method, path, headers=owner.headers)
            assert as_owner.status_code < 400, (method, path, as_owner.text)
            as_intruder = await client.request(method, path, headers=intruder.headers)
            assert as_intruder.status_code == 404, (method, path, as_intruder.text)
            checked += 1
    assert checked >= 2
