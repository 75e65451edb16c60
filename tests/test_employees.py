"""Employees from VSS: the sandbox's generated workforce, the sync (API, worker, CLI), and the
employee API (filters, cursor pagination, detail, isolation between tenants).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import pty
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from ebhxh.app import create_app
from ebhxh.employees.service import EmployeeService
from ebhxh.gateway.contract import Gender, SalaryKind
from ebhxh.gateway.http import HttpVssGateway
from ebhxh.settings import Settings
from ebhxh.text import fold
from ebhxh.vss_sandbox.workforce import Workforce
from tests import log_scan
from tests.conftest import TenantHandle
from tests.employee_helpers import (
    Client,
    Vss,
    declared_unit,
    finished,
    serve_sandbox,
    sync_to_end,
)

UNIT_CODE = "TZH490L"


def _in_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a command on a pseudo-terminal, so click draws the bar as a person sees it."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    log_scan.keep_log("terminal", output.decode(errors="replace"))
    return process.wait(timeout=60), output.decode()


# --- the sandbox's workforce ---------------------------------------------------------------


def test_generated_employees_have_valid_formats() -> None:
    workforce = Workforce(UNIT_CODE, 3000)
    employees, following = workforce.page(0, 3000)
    assert following is None
    assert len(employees) == 3000
    numbers = [e.social_insurance_number for e in employees]
    assert all(len(n) == 10 and n.isdigit() for n in numbers)
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    kinds = set()
    for employee in employees:
        cid = employee.citizen_id
        assert len(cid) == 12 and cid.isdigit(), cid
        century, female = divmod(int(cid[3]), 2)
        assert 1900 + 100 * century + int(cid[4:6]) == employee.date_of_birth.year, employee
        assert (employee.gender is Gender.FEMALE) == bool(female), employee
        assert unicodedata.is_normalized("NFC", employee.full_name)
        assert len(employee.full_name.split()) == 3
        assert employee.contract_start >= employee.date_of_birth + dt.timedelta(days=18 * 365)
        if employee.status == "maternity_leave":
            assert employee.gender is Gender.FEMALE
        if employee.salary_kind is SalaryKind.AMOUNT:
            assert employee.salary_amount_vnd and employee.salary_amount_vnd % 10_000 == 0
        else:
            assert employee.salary_coefficient and employee.allowances
        kinds.add(employee.salary_kind)
    assert kinds == {SalaryKind.AMOUNT, SalaryKind.COEFFICIENT}
    assert any(e.date_of_birth.year >= 2000 for e in employees)  # century digits 2 and 3
    assert any(any(c in e.full_name for c in "ăâđêôơưạảấầẩẫậắằẳẵặ") for e in employees)


def test_pages_are_deterministic_and_independent_of_their_size() -> None:
    def everyone(page_size: int) -> list[Any]:
        workforce = Workforce(UNIT_CODE, 1234)
        listed: list[Any] = []
        cursor: int | None = 0
        while cursor is not None:
            page, cursor = workforce.page(cursor, page_size)
            listed.extend(page)
        return listed

    assert everyone(100) == everyone(1234) == everyone(7)
    assert Workforce("ABC123D", 50).page(0, 50) != Workforce(UNIT_CODE, 50).page(0, 50)


def test_a_round_of_changes_is_deterministic_and_disjoint() -> None:
    workforce = Workforce(UNIT_CODE, 500)
    change = workforce.next_change(joined=4, left=6, raised=8)
    assert change == Workforce(UNIT_CODE, 500).next_change(joined=4, left=6, raised=8)
    assert not set(change.left) & set(change.raised)
    after = Workforce(UNIT_CODE, 500, [change])
    assert after.total == 500 + 4 - 6
    for index in change.raised:
        before, raised = workforce.employee(index), after.employee(index)
        assert before.salary_kind == raised.salary_kind
        assert (before.salary_amount_vnd, before.salary_coefficient) != (
            raised.salary_amount_vnd,
            raised.salary_coefficient,
        )
    with pytest.raises(ValueError, match="listed"):
        after.next_change(joined=0, left=400, raised=200)


@pytest.fixture
def vss(tmp_path: Path) -> Iterator[Vss]:
    yield from serve_sandbox(tmp_path)


async def test_the_gateway_reads_the_sandbox_page_by_page(vss: Vss) -> None:
    vss.seed(UNIT_CODE, 2500)
    gateway = HttpVssGateway(vss.url)
    try:
        first = await gateway.employees_page(UNIT_CODE, None, 1000)
        second = await gateway.employees_page(UNIT_CODE, first.next_cursor, 1000)
        again = await gateway.employees_page(UNIT_CODE, first.next_cursor, 1000)
    finally:
        await gateway.aclose()
    assert (first.total, len(first.employees), len(second.employees)) == (2500, 1000, 1000)
    assert second == again
    assert first.employees[-1].social_insurance_number < second.employees[0].social_insurance_number
    expected, _ = Workforce(UNIT_CODE, 2500).page(0, 1000)
    assert list(first.employees) == expected


# --- the sync through the API and the worker -------------------------------------------------


@pytest.fixture
async def client(settings: Settings, vss: Vss) -> AsyncIterator[Client]:
    from litestar.testing import AsyncTestClient

    app = create_app(
        msgspec.structs.replace(settings, vss_url=vss.url, employee_page_size=400),
        with_worker=True,
        configure_logs=False,
    )
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        yield test_client


async def _employees(client: Client, tenant: TenantHandle, unit_id: str, **query: Any) -> Any:
    response = await client.get(f"/units/{unit_id}/employees", params=query, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _every_employee(
    client: Client, tenant: TenantHandle, unit_id: str, **query: Any
) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**query, "limit": 500} | ({"cursor": cursor} if cursor else {})
        page = await _employees(client, tenant, unit_id, **params)
        listed.extend(page["employees"])
        cursor = page["next_cursor"]
        if cursor is None:
            return listed


@pytest.mark.sqlite
async def test_a_second_sync_reports_exactly_what_vss_changed(
    client: Client, tenant: TenantHandle, vss: Vss
) -> None:
    vss.seed(UNIT_CODE, 3000)
    unit_id = await declared_unit(client, tenant, UNIT_CODE)
    first = await sync_to_end(client, tenant, unit_id)
    assert first["state"] == "done", first
    assert first["counts"] == {
        "created": 3000,
        "updated": 0,
        "unchanged": 0,
        "no_longer_at_vss": 0,
    }
    assert (first["pages"], first["processed"], first["total"], first["percent"]) == (
        8,
        3000,
        3000,
        100,
    )
    stored = await _every_employee(client, tenant, unit_id)
    at_vss = vss.all_employees(UNIT_CODE)
    assert [e["social_insurance_number"] for e in stored] == [
        e["social_insurance_number"] for e in at_vss
    ]
    assert {k: stored[7][k] for k in at_vss[7]} == at_vss[7]  # every field as VSS gave it

    report = vss.change(UNIT_CODE, joined=7, left=5, salary_changed=9)
    second = await sync_to_end(client, tenant, unit_id)
    assert second["counts"] == {
        "created": 7,
        "updated": 9,
        "unchanged": 3000 - 5 - 9,
        "no_longer_at_vss": 5,
    }
    gone = await _every_employee(client, tenant, unit_id, at_vss="false")
    assert sorted(e["social_insurance_number"] for e in gone) == report["left"]
    by_number = {
        e["social_insurance_number"]: e for e in await _every_employee(client, tenant, unit_id)
    }
    assert len(by_number) == 3007  # those who left are marked, never deleted
    assert all(number in by_number for number in report["joined"])
    before = {e["social_insurance_number"]: e for e in stored}
    for number in report["salary_changed"]:
        assert (before[number]["salary_amount_vnd"], before[number]["salary_coefficient"]) != (
            by_number[number]["salary_amount_vnd"],
            by_number[number]["salary_coefficient"],
        )

    third = await sync_to_end(client, tenant, unit_id)  # idempotent: nothing more to do
    assert third["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3002,
        "no_longer_at_vss": 0,
    }


@pytest.mark.sqlite
async def test_employee_list_filters_pages_and_detail(
    client: Client, tenant: TenantHandle, make_tenant: Any, vss: Vss
) -> None:
    vss.seed(UNIT_CODE, 600)
    unit_id = await declared_unit(client, tenant, UNIT_CODE)
    assert (await sync_to_end(client, tenant, unit_id))["state"] == "done"
    everyone = vss.all_employees(UNIT_CODE)

    somebody = everyone[123]
    _, middle, given = somebody["full_name"].split()
    with_marks = await _every_employee(client, tenant, unit_id, name=f"{middle} {given}")
    without = await _every_employee(client, tenant, unit_id, name=fold(f"{middle} {given}").upper())
    expected = {
        e["social_insurance_number"]
        for e in everyone
        if fold(f"{middle} {given}") in fold(e["full_name"])
    }
    assert {e["social_insurance_number"] for e in with_marks} == expected
    assert with_marks == without
    assert somebody["social_insurance_number"] in expected

    by_number = await _employees(
        client, tenant, unit_id, social_insurance_number=somebody["social_insurance_number"]
    )
    assert [e["full_name"] for e in by_number["employees"]] == [somebody["full_name"]]
    on_leave = await _every_employee(client, tenant, unit_id, status="maternity_leave")
    assert {e["social_insurance_number"] for e in on_leave} == {
        e["social_insurance_number"] for e in everyone if e["status"] == "maternity_leave"
    }
    assert all(e["gender"] == "female" for e in on_leave)
    engineers = await _every_employee(client, tenant, unit_id, position="ky su")
    assert {e["social_insurance_number"] for e in engineers} == {
        e["social_insurance_number"] for e in everyone if e["position"] == "Kỹ sư"
    }

    pages, cursor, seen = 0, None, []
    while True:
        page = await _employees(
            client, tenant, unit_id, limit=250, **({"cursor": cursor} if cursor else {})
        )
        seen.extend(e["id"] for e in page["employees"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (pages, len(seen), len(set(seen))) == (3, 600, 600)

    detail = await client.get(f"/employees/{seen[5]}", headers=tenant.headers)
    assert detail.status_code == 200
    assert detail.json()["social_insurance_number"] == everyone[5]["social_insurance_number"]

    bad = await client.get(
        f"/units/{unit_id}/employees",
        params={"cursor": "not-a-cursor"},
        headers={**tenant.headers, "Accept-Language": "en"},
    )
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
        400,
        "employee_cursor_invalid",
        "cursor",
    )
    assert "next_cursor" in bad.json()["detail"]

    stranger = await make_tenant()
    for path in (f"/employees/{seen[5]}", f"/units/{unit_id}/employees"):
        response = await client.get(path, headers=stranger.headers)
        assert response.status_code == 404, response.text


async def test_one_sync_per_unit_and_only_for_a_ready_unit(
    client: Client, tenant: TenantHandle, make_tenant: Any, vss: Vss
) -> None:
    vss.seed(UNIT_CODE, 3000)
    vss.call("POST", "/test/faults", json={"latency_ms": 300})  # keeps the first one running
    unit_id = await declared_unit(client, tenant, UNIT_CODE)
    started = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert started.status_code == 202, started.text
    again = await client.post(
        f"/units/{unit_id}/employee-syncs", headers={**tenant.headers, "Accept-Language": "en"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "employee_sync_running")
    assert started.json()["id"] in again.json()["detail"]
    vss.call("POST", "/test/faults", json={})
    assert (await finished(client, tenant, started.json()["id"]))["state"] == "done"

    first_timer = await make_tenant()
    no_code = await declared_unit(client, first_timer, None)
    refused = await client.post(f"/units/{no_code}/employee-syncs", headers=first_timer.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "employee_sync_not_ready")
    assert "mã đơn vị" in refused.json()["detail"]

    not_active = await make_tenant()
    inactive = await declared_unit(client, not_active, UNIT_CODE, active=False)
    refused = await client.post(
        f"/units/{inactive}/employee-syncs",
        headers={**not_active.headers, "Accept-Language": "en"},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "employee_sync_not_ready")
    assert "not active" in refused.json()["detail"]


async def test_a_start_that_loses_the_race_is_a_409_not_a_500(
    client: Client, tenant: TenantHandle, vss: Vss, monkeypatch: pytest.MonkeyPatch
) -> None:
    vss.seed(UNIT_CODE, 3000)
    vss.call("POST", "/test/faults", json={"latency_ms": 300})  # keeps the first one running
    unit_id = await declared_unit(client, tenant, UNIT_CODE)
    first = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert first.status_code == 202, first.text

    async def raced(self: EmployeeService, unit_id: Any) -> None:
        """The window between the check and the insert, where a concurrent start wins."""

    monkeypatch.setattr(EmployeeService, "_refuse_running", raced)
    second = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert (second.status_code, second.json()["code"]) == (409, "employee_sync_running")
    assert first.json()["id"] in second.json()["detail"]
    vss.call("POST", "/test/faults", json={})
    assert (await finished(client, tenant, first.json()["id"]))["state"] == "done"


async def test_the_cli_syncs_with_a_progress_bar(
    client: Client, tenant: TenantHandle, vss: Vss, settings: Settings
) -> None:
    vss.seed(UNIT_CODE, 2000)
    await declared_unit(client, tenant, UNIT_CODE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")} | {
        "EBHXH_DATABASE_URL": str(settings.database_url),
        "EBHXH_VSS_URL": vss.url,
        "EBHXH_EMPLOYEE_PAGE_SIZE": "250",
        "COLUMNS": "100",
    }
    command = [sys.executable, "-m", "ebhxh.cli", "employees", "sync"]
    args = [*command, "--tenant", tenant.created.slug, UNIT_CODE.lower()]
    code, text = await asyncio.to_thread(_in_terminal, args, env)
    assert code == 0, text
    assert "Đồng bộ lao động" in text
    assert "100%" in text and "2000/2000" in text
    assert text.count("\r") >= 8  # the bar was redrawn page by page
    assert "created 2000, updated 0, unchanged 0, no longer at VSS 0" in text


async def test_the_cli_follows_a_sync_the_api_already_started(
    client: Client, tenant: TenantHandle, vss: Vss, settings: Settings
) -> None:
    vss.seed(UNIT_CODE, 2000)
    # The API's sync waits on VSS for longer than the command takes to start.
    vss.call("POST", "/test/faults", json={"latency_ms": 4000})
    unit_id = await declared_unit(client, tenant, UNIT_CODE)
    started = await client.post(f"/units/{unit_id}/employee-syncs", headers=tenant.headers)
    assert started.status_code == 202, started.text
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")} | {
        "EBHXH_DATABASE_URL": str(settings.database_url),
        "EBHXH_VSS_URL": vss.url,
    }
    args = [sys.executable, "-m", "ebhxh.cli", "employees", "sync"]
    args += ["--tenant", tenant.created.slug, UNIT_CODE]
    code, text = await asyncio.to_thread(_in_terminal, args, env)
    assert code == 0, text
    assert "a sync is running: following it" in text
    assert f"Sync {started.json()['id']} done" in text  # the same sync, not a second one
    vss.call("POST", "/test/faults", json={})


async def test_a_unit_vss_does_not_know_fails_its_sync_with_the_reason(
    client: Client, tenant: TenantHandle, vss: Vss
) -> None:
    unit_id = await declared_unit(client, tenant, "UNK000X")  # never registered at VSS
    failed = await sync_to_end(client, tenant, unit_id)
    assert failed["state"] == "failed", failed
    assert failed["error"].startswith("BHXH từ chối / VSS refused: Không tìm thấy đơn vị"), failed
    assert failed["finished_at"] is not None
    async with httpx.AsyncClient(base_url=vss.url, timeout=10) as sandbox:
        bad = await sandbox.get("/units/UNK000X/employees", params={"limit": 0})
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_limit")
