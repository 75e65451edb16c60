"""What the employee tests share: a VSS sandbox over HTTP, and a unit that may sync.

A unit may sync once its service registration is active. The dossier flow that gets it
there has its own end-to-end tests (test_dossiers.py), so here the unit is declared with
its code through the API and its active service-registration dossier is written directly.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.db.binding import system_access
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.demo.threaded import ThreadedServer
from ebhxh.dossiers.tables import Dossier
from ebhxh.employees.bulk import COLUMNS, row_values
from ebhxh.employees.tables import Employee, EmployeeSync
from ebhxh.units.tables import InsuranceUnit
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.settings import SandboxSettings
from ebhxh.vss_sandbox.workforce import Workforce
from tests.conftest import HANOI_TREE, HQ_DECLARATION, TenantHandle, in_app

Client = AsyncTestClient[Litestar]


class Vss:
    """The sandbox at `url`, with its test knobs."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def seed(self, unit_code: str, employees: int, tax_code: str = "0100109106") -> None:
        self.call(
            "POST",
            "/test/units",
            json={
                "tax_code": tax_code,
                "unit_code": unit_code,
                "provider": "eBHXH",
                "employees": employees,
            },
        )

    def change(self, unit_code: str, **counts: int) -> Any:
        return self.call("POST", f"/test/units/{unit_code}/employee-changes", json=counts)

    def all_employees(self, unit_code: str) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 5000}
            if cursor is not None:
                params["cursor"] = cursor
            page = self.call("GET", f"/units/{unit_code}/employees", params=params)
            listed.extend(page["employees"])
            cursor = page["next_cursor"]
            if cursor is None:
                return listed


def serve_sandbox(folder: Path) -> Iterator[Vss]:
    server = ThreadedServer(
        create_sandbox_app(SandboxSettings(database_path=str(folder / "vss.sqlite3")))
    )
    server.start()
    yield Vss(server.url)
    server.stop()


async def _activate_service(tenant_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    scope = TenantScope(tenant_id)
    await scope.insert(
        Dossier,
        Dossier(
            tenant=tenant_id,
            unit=unit_id,
            kind="service-registration",
            state="active",
            idempotency_key=uuid.uuid4().hex,
        ),
    )


async def _sync_and_employee(unit_id: uuid.UUID) -> dict[str, str]:
    with system_access():  # only the unit's id is known here
        unit = await InsuranceUnit.select(InsuranceUnit.tenant).where(InsuranceUnit.id == unit_id)
    tenant_id = as_uuid(unit[0]["tenant"])
    scope = TenantScope(tenant_id)
    sync = EmployeeSync(tenant=tenant_id, unit=unit_id, state="done", requested_by="test")
    await scope.insert(EmployeeSync, sync)
    employee, _ = Workforce("TZH490L", 1).page(0, 1)
    values = dict(zip(COLUMNS, row_values(employee[0]), strict=True))
    row = Employee(tenant=tenant_id, unit=unit_id, changed_by_sync=sync.id, **values)
    await scope.insert(Employee, row)
    return {"sync_id": str(sync.id), "employee_id": str(row.id)}


def sync_and_employee(client: Client, unit_id: str) -> dict[str, str]:
    """A finished sync and one employee of the unit, written directly (for id sweeps)."""
    ids: dict[str, str] = in_app(client, _sync_and_employee, uuid.UUID(unit_id))
    return ids


async def declared_unit(
    client: Client, tenant: TenantHandle, unit_code: str | None, *, active: bool = True
) -> str:
    """The head office of HANOI_TREE, declared with `unit_code` (None: first-time), and
    (with `active`) its electronic service active.
    """
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    body: dict[str, Any] = dict(HQ_DECLARATION)
    if unit_code is not None:
        body |= {"first_time_participant": False, "unit_code": unit_code}
    declared = await client.post("/units", json=body, headers=tenant.headers)
    assert declared.status_code == 201, declared.text
    unit_id = str(declared.json()["id"])
    if active:
        in_app(client, _activate_service, tenant.id, uuid.UUID(unit_id))
    return unit_id


async def sync_to_end(client: Client, tenant: TenantHandle, unit_id: str) -> Any:
    """Start a sync through the API and wait (bounded: 60 s) for the worker to finish it."""
    started = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert started.status_code == 202, started.text
    return await finished(client, tenant, started.json()["id"])


async def finished(client: Client, tenant: TenantHandle, sync_id: str) -> Any:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        sync = (await client.get(f"/employee-syncs/{sync_id}", headers=tenant.headers)).json()
        if sync["state"] != "running":
            return sync
        assert asyncio.get_running_loop().time() < deadline, sync
        await asyncio.sleep(0.05)
