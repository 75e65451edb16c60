"""Tenant isolation: every route that takes an id answers 404 to another tenant, and the
code reaches tenant data only through `TenantScope` (checked over the source).
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

from ebhxh.db.registry import ALL_TABLES, GLOBAL_TABLES, TENANT_TABLES
from ebhxh.signing.certificates import summarise
from tests.conftest import HANOI_TREE, HQ_DECLARATION, Pki, TenantHandle, in_app
from tests.employee_helpers import sync_and_employee

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
}
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


def _bodies(test_pki: Pki) -> dict[str, Any]:
    """A valid body for every operation that takes one (a new route must add its own)."""
    access = {
        "signer_type": "hsm",
        "settings": {"token_label": test_pki.TOKEN},
        "secrets": {"pin": test_pki.PIN},
    }
    return {
        "setUnitParticulars": {"phone": "024 3825 1234"},
        "discoverCertificates": access,
        "setUpSignature": {**access, "certificate_sha256": summarise(test_pki.organisation).sha256},
        "signForm": {"form": "tk3-ts"},
        "createDossier": {"kind": "register-unit-code"},
        "activateDossier": {"code": "123456"},
        "requestActivationCode": {},
        "recordUnitCode": {"unit_code": "TZH490L"},
        "requestProviderStop": {"reason": "chuyển nhà cung cấp"},
        "recordPaperSent": {"sent_on": "2026-01-05", "channel": "desk"},
        "recordPaperUnitCode": {"unit_code": "TZH490L"},
    }


async def _switch(tenant_id: uuid.UUID, unit_id: str, dossier_id: str) -> uuid.UUID:
    """A detected switch (detection needs VSS; this sweep has none, so it is recorded)."""
    import datetime as dt

    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.switching.contract import CompetingProvider, StopProcedure
    from ebhxh.switching.track import open_switch

    return await open_switch(
        TenantScope(tenant_id),
        unit_id=uuid.UUID(unit_id),
        registration_id=uuid.UUID(dossier_id),
        provider=CompetingProvider(
            key="bkav", display_name="BKAV", names=(), stop_procedure=StopProcedure.PORTAL
        ),
        reported="BKAV-IVAN",
        now=dt.datetime.now(dt.UTC),
        actor="test",
    )


async def _populate(client: Client, tenant: TenantHandle, test_pki: Pki) -> dict[str, str]:
    """Give a tenant one of everything an id can name; return the ids by path parameter."""
    headers = tenant.headers
    await client.put("/organisation", json=HANOI_TREE, headers=headers)
    nodes = (await client.get("/organisation", headers=headers)).json()["nodes"]
    unit_id = (await client.post("/units", json=HQ_DECLARATION, headers=headers)).json()["id"]
    bodies = _bodies(test_pki)
    setup = await client.put(
        f"/units/{unit_id}/signature", json=bodies["setUpSignature"], headers=headers
    )
    assert setup.status_code == 200, setup.text
    signed = await client.post(
        f"/units/{unit_id}/signing-requests", json=bodies["signForm"], headers=headers
    )
    dossier = await client.post(
        f"/units/{unit_id}/dossiers", json=bodies["createDossier"], headers=headers
    )
    assert dossier.status_code == 201, dossier.text
    switch_id = in_app(client, _switch, tenant.id, unit_id, dossier.json()["id"])
    branch = {
        "org_node_external_id": "BR-DN",
        "name": "Chi nhánh Đà Nẵng",
        "tax_code": "0100109106-001",
        "province": "Đà Nẵng",
        "first_time_participant": True,
    }
    paper_unit = await client.post("/units", json=branch, headers=headers)
    assert paper_unit.status_code == 201, paper_unit.text
    paper_unit_id = paper_unit.json()["id"]
    prepared = await client.post(f"/units/{paper_unit_id}/paper-dossier", headers=headers)
    assert prepared.status_code == 200, prepared.text
    code = (await client.post("/devices/pairing-codes", headers=headers)).json()["code"]
    paired = await client.post("/device/pairing", json={"code": code, "name": "PC"})
    assert paired.status_code == 201, paired.text
    return {
        "device_id": paired.json()["device_id"],
        "paper_unit_id": paper_unit_id,
        "switch_id": str(switch_id),
        **sync_and_employee(client, unit_id),
        "dossier_id": dossier.json()["id"],
        "node_id": nodes[0]["id"],
        "unit_id": unit_id,
        "request_id": signed.json()["id"],
        "form": "tk3-ts",
    }


@pytest.mark.sqlite
async def test_every_route_with_an_id_is_404_for_another_tenant(
    client: Client, make_tenant: Any, test_pki: Pki
) -> None:
    owner, intruder = await make_tenant(), await make_tenant()
    ids = await _populate(client, owner, test_pki)
    await _populate(client, intruder, test_pki)
    bodies = _bodies(test_pki)
    schema = (await client.get("/docs/openapi.json")).json()
    checked = 0
    for template, operations in schema["paths"].items():
        parameters = re.findall(r"{(\w+)}", template)
        if not parameters:
            continue
        path = template
        # The paper route's operations need a unit in a paper province.
        known = {**ids, "unit_id": ids["paper_unit_id"]} if "/paper-dossier" in template else ids
        for name in parameters:
            assert name in known, f"no fixture id for {name} in {template}: extend _populate"
            path = path.replace(f"{{{name}}}", known[name])
        for method, operation in operations.items():
            body = None
            if "requestBody" in operation:
                assert operation["operationId"] in bodies, f"no body for {operation['operationId']}"
                body = bodies[operation["operationId"]]
            as_owner = await client.request(method, path, json=body, headers=owner.headers)
            assert as_owner.status_code != 404, (method, path, as_owner.text)
            as_intruder = await client.request(method, path, json=body, headers=intruder.headers)
            assert as_intruder.status_code == 404, (method, path, as_intruder.text)
            checked += 1
    assert checked >= 24
