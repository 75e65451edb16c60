"""Benchmark: sync 100,000 employees from the VSS sandbox into PostgreSQL, against raw
asyncpg unnest-inserting the same rows, in one run.

Ours: the sandbox runs as its own process, served over HTTP on 127.0.0.1 (`ebhxh sandbox
serve`); a worker process runs the sync (`SyncRunner`: pages fetched through
`HttpVssGateway`, decoded, hashed, upserted with `INSERT ... SELECT FROM unnest ... ON
CONFLICT DO UPDATE`, progress committed per page) and reports its time and its peak RSS
(`ru_maxrss`). Baseline: the same rows, fetched from the sandbox and turned into columns
beforehand, inserted with a plain asyncpg `INSERT ... SELECT FROM unnest(...)` into the
same table (another unit), one transaction per page of the same size. Then the sandbox's
knob changes 1% of the employees and ours syncs again (mostly unchanged rows).
Targets: ours >= 0.6x the baseline's throughput; the worker's peak RSS <= 250 MB.

    uv run python -m bench.employees [--employees 100000] [--page-size 2000] [--rounds 3]

Needs PostgreSQL (`EBHXH_BENCH_PG_ADMIN`, default postgresql://postgres@127.0.0.1:5432/
postgres); a database is created for the run and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import PG_ADMIN, admin, cli, env
from ebhxh.demo.threaded import free_port

UNIT_CODE = "BEN100K"
TAX_CODE = "0100109106"
CHILD = (sys.executable, "-m", "bench.employees", "--child")


async def _set_up_tenant(database_url: str, count: int) -> tuple[str, list[str]]:
    """A tenant with `count` units of code UNIT_CODE, their service active."""
    from ebhxh.db.engine import bind_engine, build_engine, close_engine, open_engine
    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.dossiers.tables import Dossier
    from ebhxh.organisation.tables import OrgNode
    from ebhxh.settings import Settings
    from ebhxh.tenancy.bootstrap import create_tenant
    from ebhxh.units.tables import InsuranceUnit

    engine = build_engine(Settings(database_url=database_url))
    bind_engine(engine)
    await open_engine(engine)
    try:
        tenant = await create_tenant(
            slug="bench", name="Bench", admin_email="a@bench.example", admin_name="A"
        )
        scope = TenantScope(tenant.tenant_id)
        units = []
        for n in range(count):
            node = OrgNode(tenant=tenant.tenant_id, external_id=f"N{n}", kind="company", name="X")
            await scope.insert(OrgNode, node)
            unit = InsuranceUnit(
                tenant=tenant.tenant_id,
                org_node=node.id,
                name=f"Đơn vị {n}",
                tax_code=f"{TAX_CODE}-{n + 1:03d}",
                province_code="01",
                route="electronic",
                unit_code=UNIT_CODE,
                first_time_participant=False,
            )
            await scope.insert(InsuranceUnit, unit)
            await scope.insert(
                Dossier,
                Dossier(
                    tenant=tenant.tenant_id,
                    unit=unit.id,
                    kind="service-registration",
                    state="active",
                    idempotency_key=uuid.uuid4().hex,
                ),
            )
            units.append(str(unit.id))
        return str(tenant.tenant_id), units
    finally:
        await close_engine(engine)


async def _child(database_url: str, vss_url: str, tenant_id: str, unit_id: str, page: int) -> None:
    """Run one sync in this process; print its time, counts and this process's peak RSS."""
    from ebhxh.db.engine import close_engine, open_engine
    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.employees.service import EmployeeService
    from ebhxh.observability.logging import configure_logging
    from ebhxh.runtime import Runtime
    from ebhxh.settings import Settings

    settings = Settings(
        database_url=database_url, vss_url=vss_url, employee_page_size=page, log_level="warning"
    )
    configure_logging(settings.log_level, settings.log_json)  # as `ebhxh worker` does
    runtime = Runtime(settings)
    await open_engine(runtime.engine)
    try:
        scope = TenantScope(uuid.UUID(tenant_id))
        service = EmployeeService(scope)
        began = time.perf_counter()
        started = await service.start(uuid.UUID(unit_id), "bench")
        runner = runtime.employee_syncs(scope)
        held = await runner.claim(started.id)
        assert held is not None
        result = await runner.run(started.id, held)
        seconds = time.perf_counter() - began
        done = await service.get_sync(started.id)
        assert result == "done", (result, done.error)
    finally:
        await runtime.aclose()
        await close_engine(runtime.engine)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "processed": done.processed,
                "counts": {
                    "created": done.counts.created,
                    "updated": done.counts.updated,
                    "unchanged": done.counts.unchanged,
                    "gone": done.counts.no_longer_at_vss,
                },
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _sync_in_worker(database_url: str, vss_url: str, tenant: str, unit: str, page: int) -> Any:
    output = subprocess.run(
        [*CHILD, database_url, vss_url, tenant, unit, "--page-size", str(page)],
        env=env(log_level="warning"),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


async def _baseline(database_url: str, vss_url: str, tenant: str, unit: str, page: int) -> float:
    """Raw asyncpg: the same rows, fetched and made into columns first, unnest-inserted."""
    from ebhxh.employees.bulk import COLUMNS, PG_TYPES, row_values
    from ebhxh.gateway.http import HttpVssGateway

    gateway = HttpVssGateway(vss_url, timeout=60)
    batches: list[list[list[Any]]] = []
    cursor = None
    while True:
        fetched = await gateway.employees_page(UNIT_CODE, cursor, page)
        rows = [row_values(employee) for employee in fetched.employees]
        batches.append([list(column) for column in zip(*rows, strict=True)])
        cursor = fetched.next_cursor
        if cursor is None:
            break
    await gateway.aclose()
    arrays = ", ".join(f"${i + 3}::{kind}[]" for i, kind in enumerate(PG_TYPES))
    sql = " ".join(  # column names and casts from constants; every value is bound
        (
            f"INSERT INTO employee (id, tenant, unit, updated_at, at_vss, {', '.join(COLUMNS)})",
            "SELECT gen_random_uuid(), $1, $2, now(), true, r.* FROM unnest(",
            arrays,
            ") AS r",
        )
    )
    connection = await asyncpg.connect(database_url)
    try:
        began = time.perf_counter()
        for columns in batches:
            async with connection.transaction():
                await connection.execute(sql, uuid.UUID(tenant), uuid.UUID(unit), *columns)
        return time.perf_counter() - began
    finally:
        await connection.close()


def main(employees: int, page: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ebhxh-bench-employees-"))
    name = f"ebhxh_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    port = free_port()
    vss_url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "ebhxh.cli", "sandbox", "serve", "--port", str(port)],
        env=env(data_dir=str(folder), log_level="warning"),
        stdout=subprocess.DEVNULL,
    )
    try:
        cli("migrate", env=env(database_url=database_url, log_level="warning"))
        for _ in range(200):
            try:
                httpx.get(f"{vss_url}/units", params={"tax_code": TAX_CODE}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        seeded = httpx.post(
            f"{vss_url}/test/units",
            json={
                "tax_code": TAX_CODE,
                "unit_code": UNIT_CODE,
                "provider": "eBHXH",
                "employees": employees,
            },
        )
        seeded.raise_for_status()
        tenant, units = asyncio.run(_set_up_tenant(database_url, 2 * rounds))
        baselines, firsts = [], []
        for n in range(rounds):  # alternating, each into a unit of its own
            baseline_unit, ours_unit = units[2 * n], units[2 * n + 1]
            baselines.append(
                asyncio.run(_baseline(database_url, vss_url, tenant, baseline_unit, page))
            )
            firsts.append(_sync_in_worker(database_url, vss_url, tenant, ours_unit, page))
        changes = {"joined": employees // 200, "left": employees // 200}
        changes["salary_changed"] = employees // 100
        httpx.post(
            f"{vss_url}/test/units/{UNIT_CODE}/employee-changes", json=changes
        ).raise_for_status()
        second = _sync_in_worker(database_url, vss_url, tenant, ours_unit, page)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))

    baseline = statistics.median(baselines)
    first = sorted(firsts, key=lambda run: run["seconds"])[len(firsts) // 2]
    ours_rate = first["processed"] / first["seconds"]
    baseline_rate = employees / baseline
    print(f"employees: {employees:,}, page size {page}, median of {rounds} alternating rounds")
    print(
        f"baseline (raw asyncpg unnest INSERT, pre-fetched): {baseline:.2f} s, "
        f"{baseline_rate:,.0f} rows/s"
    )
    print(
        f"ours (sync from the sandbox over HTTP):            {first['seconds']:.2f} s, "
        f"{ours_rate:,.0f} rows/s  {first['counts']}"
    )
    for n, (base, ours) in enumerate(zip(baselines, firsts, strict=True), 1):
        print(
            f"  round {n}: baseline {employees / base:,.0f} rows/s, "
            f"ours {ours['processed'] / ours['seconds']:,.0f} rows/s"
        )
    print(f"ratio ours/baseline: {ours_rate / baseline_rate:.2f} (target >= 0.6)")
    print(
        f"worker peak RSS (the largest of every run): "
        f"{max(run['max_rss_mb'] for run in [*firsts, second]):.0f} MB (target <= 250)"
    )
    print(
        f"second sync after the knob changed {changes}: {second['seconds']:.2f} s, "
        f"{second['processed'] / second['seconds']:,.0f} rows/s  {second['counts']}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("DB", "VSS", "TENANT", "UNIT"))
    arguments = parser.parse_args()
    if arguments.child:
        database, vss, tenant, unit = arguments.child
        asyncio.run(_child(database, vss, tenant, unit, arguments.page_size))
    else:
        main(arguments.employees, arguments.page_size, arguments.rounds)
