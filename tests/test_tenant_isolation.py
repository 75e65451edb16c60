"""Tenant isolation: every route that takes an id answers 404 to another tenant, and no
route another tenant calls changes a row of this tenant's (a snapshot of every tenant table
before and after); the code reaches tenant data only through `TenantScope` (checked over
the source).
"""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.columns import ForeignKey, OnDelete

from ebhxh.db.binding import system_access
from ebhxh.db.registry import ALL_TABLES, GLOBAL_TABLES, TENANT_TABLES
from ebhxh.tenancy.tables import Tenant
from tests.conftest import Pki, in_app
from tests.sweep_data import bodies_of, populate

Client = AsyncTestClient[Litestar]
PLATFORM = Path(__file__).resolve().parent.parent / "platform" / "ebhxh"

ALLOWED_UNSCOPED = {
    "db/tenant_scope.py",  # the scope itself
    "auth/tokens.py",  # resolving a token to its tenant happens before there is a scope
    "tenancy/bootstrap.py",  # creating a tenant happens before there is a principal
    "dossiers/outbox.py",  # the system side: finds due work across tenants, then scopes it
    "metrics/dossier_counts.py",  # the operator's metric: counts per tenant id and state
    "employees/recovery.py",  # likewise: finds stalled employee syncs across tenants
    "signing/pending.py",  # likewise: finds pending signing requests for signer plugins
    "devices/credentials.py",  # a device credential or pairing code names its tenant
    "sso/lookup.py",  # a session cookie, an email domain name their tenant (before a scope)
    "sso/sweep.py",  # a worker cron: deletes sessions of any tenant a week after they end
    "operators/tenant_overview.py",  # the operator's tenant list: counts per tenant
}
OPERATOR_ROUTES = "/operator/"
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


SYSTEM_ACCESS_ALLOWED = ALLOWED_UNSCOPED - {"db/tenant_scope.py"}
"""The system modules that may bind their work across tenants (row-level security)."""


def test_only_the_listed_system_modules_use_system_access() -> None:
    users = set()
    for path in PLATFORM.rglob("*.py"):
        relative = path.relative_to(PLATFORM).as_posix()
        if relative.startswith("db/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (isinstance(node, ast.Name) and node.id in {"system_access", "SYSTEM"}) or (
                isinstance(node, ast.Attribute) and node.attr in {"system_access", "SYSTEM"}
            )
            imported = isinstance(node, ast.ImportFrom) and any(
                alias.name in {"system_access", "SYSTEM", "bound_to"} for alias in node.names
            )
            if named or imported:
                users.add(relative)
    assert users - SYSTEM_ACCESS_ALLOWED == set()
    assert users, "the system modules bind their work with system_access()"


async def _snapshot(tenant_id: uuid.UUID) -> dict[str, list[str]]:
    """Every row of the tenant's, in every tenant table (and its own row), as text."""
    rows = {"tenant": [repr(await Tenant.select().where(Tenant.id == tenant_id))]}
    with system_access():  # the owner's rows as they are, whatever the request would see
        for table in TENANT_TABLES:
            tenant = table._meta.get_column_by_name("tenant")
            found = await table.select().where(tenant == tenant_id)
            rows[table._meta.tablename] = sorted(repr(sorted(row.items())) for row in found)
    return rows


def _concrete(template: str, ids: dict[str, str]) -> str:
    path = template
    # The paper route's operations need a unit in a paper province.
    known = {**ids, "unit_id": ids["paper_unit_id"]} if "/paper-dossier" in template else ids
    for name in re.findall(r"{(\w+)}", template):
        assert name in known, f"no fixture id for {name} in {template}: extend populate()"
        path = path.replace(f"{{{name}}}", known[name])
    return path


@pytest.mark.sqlite
async def test_another_tenant_reads_nothing_and_changes_nothing(
    client: Client, make_tenant: Any, test_pki: Pki
) -> None:
    owner, intruder = await make_tenant(), await make_tenant()
    ids = await populate(client, owner, test_pki)
    await populate(client, intruder, test_pki)
    bodies = bodies_of(test_pki)
    schema = (await client.get("/docs/openapi.json")).json()
    operations = [
        (template, method, operation)
        for template, item in schema["paths"].items()
        for method, operation in item.items()
        if not template.startswith(OPERATOR_ROUTES)  # no tenant's: test_operators sweeps them
    ]
    before = in_app(client, _snapshot, owner.id)
    assert sum(map(len, before.values())) >= 15, before  # a populated tenant, not an empty one
    with_ids = 0
    for template, method, operation in operations:
        body = None
        if "requestBody" in operation:
            assert operation["operationId"] in bodies, f"no body for {operation['operationId']}"
            body = bodies[operation["operationId"]]
        path = _concrete(template, ids)
        answer = await client.request(method, path, json=body, headers=intruder.headers)
        assert answer.status_code < 500, (method, path, answer.text)
        if "{" in template:
            assert answer.status_code == 404, (method, path, answer.text)
            with_ids += 1
    after = in_app(client, _snapshot, owner.id)
    assert after == before
    # The ids were real: the owner reaches every one of those routes.
    for template, method, operation in operations:
        if "{" not in template:
            continue
        path = _concrete(template, ids)
        body = bodies.get(operation["operationId"])
        as_owner = await client.request(method, path, json=body, headers=owner.headers)
        assert as_owner.status_code != 404, (method, path, as_owner.text)
    assert with_ids >= 24
    assert len(operations) > with_ids
