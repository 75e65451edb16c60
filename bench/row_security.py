"""Benchmark: what row-level security costs a tenant-scoped query, in one run.

Builds a fresh database (as the admin role, which owns the tables), migrated by `ebhxh
migrate` with an app role that owns nothing, and a tenant with 20 units. Then runs the
same `TenantScope` select of the tenant's units two ways, alternating in rounds:

- unbound: Piccolo's plain `PostgresEngine` as the owner, a superuser whom the policies do
  not apply to: what every query cost before row-level security (one round trip);
- bound: the platform's `RowSecurityEngine` as the app role: `BEGIN` + `set_config` in one
  round trip, the query, `COMMIT` (three), with the policies evaluated.

Each is measured sequentially (mean latency) and with 32 concurrent tasks on a pool of 10
(throughput). The ratio is bound/unbound throughput.

    uv run python -m bench.row_security [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from bench.common import APP_ROLE, with_user
from ebhxh.db.engine import POOL_OPTIONS, RowSecurityEngine, bind_engine
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.organisation.tables import OrgNode
from ebhxh.units.tables import InsuranceUnit

ADMIN_DSN = os.environ.get("EBHXH_BENCH_PG_ADMIN", "postgresql://root@127.0.0.1:5432/postgres")
CONCURRENCY = 32
POOL = 10


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _set_up(owner_url: str, tenant_id: uuid.UUID) -> None:
    engine = PostgresEngine(config={"dsn": owner_url})
    bind_engine(engine)
    await _admin_insert(tenant_id)
    scope = TenantScope(tenant_id)
    for n in range(20):
        node = scope.new(OrgNode, external_id=f"N{n}", kind="company", name=f"Công ty {n}")
        await scope.insert(OrgNode, node)
        unit = scope.new(
            InsuranceUnit,
            org_node=node.id,
            name=f"Đơn vị {n}",
            tax_code=f"0100109106-{n + 1:03d}",
            province_code="01",
            route="electronic",
            first_time_participant=True,
        )
        await scope.insert(InsuranceUnit, unit)


async def _admin_insert(tenant_id: uuid.UUID) -> None:
    from ebhxh.tenancy.tables import Tenant

    await Tenant.insert(Tenant(id=tenant_id, slug=f"bench-{tenant_id.hex[:8]}", name="Bench"))


async def _measure(query: Callable[[], Awaitable[object]], seconds: float) -> tuple[float, float]:
    """(mean sequential latency in ms, concurrent queries per second)."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await query()
        count += 1
    latency = (time.perf_counter() - start) / count * 1000
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await query()
            done += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latency, done / seconds


async def _run(
    url: str, engine_type: type[PostgresEngine], tenant_id: uuid.UUID, seconds: float
) -> tuple[float, float]:
    engine = engine_type(config={"dsn": url}, log_queries=False)
    bind_engine(engine)
    await engine.start_connection_pool(min_size=POOL, max_size=POOL, **POOL_OPTIONS)
    scope = TenantScope(tenant_id)

    async def listing() -> object:
        rows = await scope.select(InsuranceUnit).order_by(InsuranceUnit.name)
        assert len(rows) == 20, len(rows)
        return rows

    try:
        return await _measure(listing, seconds)
    finally:
        await engine.close_connection_pool()


def main(seconds: float, rounds: int) -> None:
    name = f"ebhxh_bench_rls_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    with contextlib.suppress(asyncpg.DuplicateObjectError):  # made by an earlier run
        asyncio.run(_admin(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    owner_url = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    app_url = with_user(owner_url, APP_ROLE)
    try:
        env = {**os.environ, "EBHXH_DATABASE_URL": app_url, "EBHXH_DATABASE_OWNER_URL": owner_url}
        subprocess.run([sys.executable, "-m", "ebhxh.cli", "migrate"], env=env, check=True)
        tenant_id = uuid.uuid4()
        asyncio.run(_set_up(owner_url, tenant_id))
        results: dict[str, list[tuple[float, float]]] = {"unbound": [], "bound": []}
        for _ in range(rounds):
            results["unbound"].append(
                asyncio.run(_run(owner_url, PostgresEngine, tenant_id, seconds))
            )
            results["bound"].append(
                asyncio.run(_run(app_url, RowSecurityEngine, tenant_id, seconds))
            )
        best = {
            kind: (min(r[0] for r in runs), max(r[1] for r in runs))
            for kind, runs in results.items()
        }
        for kind, (latency, rate) in best.items():
            print(f"{kind:8s} latency {latency:.3f} ms   {rate:,.0f} queries/s")
        print(f"({CONCURRENCY} concurrent tasks, pool of {POOL})")
        print(f"ratio bound/unbound throughput: {best['bound'][1] / best['unbound'][1]:.2f}")
    finally:
        asyncio.run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    main(arguments.seconds, arguments.rounds)
