"""A worker killed with SIGKILL in the middle of an employee sync: another worker resumes it
from the last committed page (not from the start) and ends where an uninterrupted sync of
the same employees ends.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ebhxh.app import create_app
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.employees.tables import Employee
from ebhxh.settings import Settings
from tests.conftest import TenantHandle, in_app, start_worker
from tests.employee_helpers import Client, Vss, declared_unit, finished, serve_sandbox

UNIT_CODE = "KIL123L"
SIZE = 4000


@pytest.fixture
def vss(tmp_path: Path) -> Iterator[Vss]:
    yield from serve_sandbox(tmp_path)


@pytest.fixture
def crash_settings(settings: Settings, vss: Vss) -> Settings:
    return msgspec.structs.replace(
        settings,
        vss_url=vss.url,
        queue_name=f"ebhxh-sync-crash-{uuid.uuid4().hex[:8]}:queue",
        employee_page_size=200,
        employee_sync_lease_seconds=2,
    )


@pytest.fixture
async def client(crash_settings: Settings) -> AsyncIterator[Client]:
    from litestar.testing import AsyncTestClient

    app = create_app(crash_settings, configure_logs=False)  # no worker in this process
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        yield test_client


async def _rows(tenant_id: uuid.UUID) -> list[tuple[str, str, bool]]:
    rows = await TenantScope(tenant_id).select(
        Employee, Employee.social_insurance_number, Employee.row_hash, Employee.at_vss
    )
    return sorted((r["social_insurance_number"], r["row_hash"], r["at_vss"]) for r in rows)


async def _sync(client: Client, tenant: TenantHandle, unit_id: str) -> str:
    started = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert started.status_code == 202, started.text
    return str(started.json()["id"])


async def test_a_worker_killed_mid_sync_is_resumed_from_its_last_page(
    client: Client, make_tenant: Any, vss: Vss, crash_settings: Settings
) -> None:
    vss.seed(UNIT_CODE, SIZE)
    vss.call("POST", "/test/faults", json={"latency_ms": 150})  # 20 pages: about 3 s
    killed, calm = await make_tenant(), await make_tenant()
    unit_id = await declared_unit(client, killed, UNIT_CODE)
    first = start_worker(crash_settings)
    try:
        sync_id = await _sync(client, killed, unit_id)
        progress: dict[str, Any] = {}
        for _ in range(400):
            progress = (
                await client.get(f"/employee-syncs/{sync_id}", headers=killed.headers)
            ).json()
            if progress["pages"] >= 5:
                break
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = (await client.get(f"/employee-syncs/{sync_id}", headers=killed.headers)).json()
    assert at_kill["state"] == "running", at_kill
    assert 5 <= at_kill["pages"] < SIZE // 200, at_kill  # killed mid-sync

    second = start_worker(crash_settings)
    try:
        resumed = await finished(client, killed, sync_id)
        calm_unit = await declared_unit(client, calm, UNIT_CODE)
        uninterrupted = await finished(client, calm, await _sync(client, calm, calm_unit))
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert resumed["state"] == uninterrupted["state"] == "done"
    assert (
        resumed["counts"]
        == uninterrupted["counts"]
        == {
            "created": SIZE,
            "updated": 0,
            "unchanged": 0,
            "no_longer_at_vss": 0,
        }
    )
    assert resumed["attempts"] == 2
    assert resumed["resumed_from_page"] >= at_kill["pages"]  # not from scratch
    assert resumed["pages"] == uninterrupted["pages"] == SIZE // 200
    # VSS was asked for the first page once per sync: the resumed one started at its cursor.
    asked = vss.call("GET", f"/test/units/{UNIT_CODE}/employee-requests")
    assert asked.count(None) == 2, asked
    assert len(asked) < 2 * (SIZE // 200) + 3, asked
    mine, theirs = in_app(client, _rows, killed.id), in_app(client, _rows, calm.id)
    assert len(mine) == SIZE
    assert mine == theirs
