"""Benchmark: the tenant-scoped employee list with 10,000 tenants and 1,000,000 employees
against the same list with 100 tenants, in one run on one database.

Ours, both sizes: `ebhxh serve --no-worker` (one uvicorn process), `GET
/units/{unit}/employees?limit=50` with a random tenant's API token each time (the token
resolved, the tenant bound, one page read through the TenantScope on the (tenant, unit,
social-insurance number) index). First with 100 tenants of 100 employees each, then the
database grows to 10,000 tenants and 1,000,000 employees (loaded in SQL, then ANALYZE) and
the same measurement runs again, over all the tenants. Requests are sequential (one
connection), so the figure is the query path's latency, not a queue.

Each size is measured twice: with the read caches off (`EBHXH_READ_CACHE_SECONDS=0`), so
every request resolves its token and reads its page in PostgreSQL, and as deployed. The
target is on the first: as deployed, the small run's 100 tokens are resolved once and then
come from memory, while the large run's 3,000 requests over 10,000 tenants mostly meet a
token for the first time, so that ratio compares cache hits with misses, not how the query
scales with the data.
Target: p99 with 10,000 tenants <= 1.5x p99 with 100 (read caches off).

    uv run python -m bench.tenant_scale [--tenants 10000] [--employees-per-tenant 100]
        [--requests 3000]

Needs PostgreSQL (`EBHXH_BENCH_PG_ADMIN`) and Redis (`EBHXH_BENCH_REDIS`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.common import cli, database, database_roles, env, server
from ebhxh.demo.threaded import free_port

REDIS = os.environ.get("EBHXH_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SMALL = 100

# Tenant n (1-based) has token ebhxh_bench-<n>, one unit and its employees. Written in SQL
# because loading a million rows through the API would measure the loader, not the list.
LOAD = """
INSERT INTO tenant (id, slug, name)
    SELECT md5('t' || n)::uuid, 'bench-' || n, 'Công ty ' || n
    FROM generate_series($1::int, $2::int) n;
INSERT INTO app_user (id, email, display_name)
    SELECT md5('u' || n)::uuid, 'admin@bench-' || n || '.example', 'Admin ' || n
    FROM generate_series($1::int, $2::int) n;
INSERT INTO membership (tenant, "user", role)
    SELECT md5('t' || n)::uuid, md5('u' || n)::uuid, 'admin'
    FROM generate_series($1::int, $2::int) n;
INSERT INTO api_token (tenant, "user", name, token_hash, prefix)
    SELECT md5('t' || n)::uuid, md5('u' || n)::uuid, 'bench',
           encode(sha256(convert_to('ebhxh_bench-' || n, 'UTF8')), 'hex'), 'ebhxh_bench'
    FROM generate_series($1::int, $2::int) n;
INSERT INTO org_node (id, tenant, external_id, kind, name, tax_code)
    SELECT md5('o' || n)::uuid, md5('t' || n)::uuid, 'HQ', 'company', 'Công ty ' || n, '0100109106'
    FROM generate_series($1::int, $2::int) n;
INSERT INTO insurance_unit (id, tenant, org_node, name, tax_code, province_code, route, unit_code)
    SELECT md5('i' || n)::uuid, md5('t' || n)::uuid, md5('o' || n)::uuid, 'Công ty ' || n,
           '0100109106', '01', 'electronic', 'TZH490L'
    FROM generate_series($1::int, $2::int) n;
INSERT INTO employee (tenant, unit, social_insurance_number, full_name, name_folded,
                      date_of_birth, gender, citizen_id, position, position_folded,
                      salary_kind, salary_amount_vnd, contract_type, contract_start, status,
                      row_hash)
    SELECT md5('t' || n)::uuid, md5('i' || n)::uuid, lpad((n * 1000 + e)::text, 10, '0'),
           'Nguyễn Văn ' || e, 'nguyen van ' || e, DATE '1990-01-01' + e, 'male',
           lpad((n * 1000 + e)::text, 12, '0'), 'Kỹ sư', 'ky su', 'amount', 12000000,
           'indefinite', DATE '2020-01-01', 'active', md5(n || '-' || e)
    FROM generate_series($1::int, $2::int) n, generate_series(1, $3::int) e;
"""


async def _load(url: str, first: int, last: int, per_tenant: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        for statement in LOAD.split(";\n"):
            if statement.strip():
                arguments = (first, last, per_tenant)[: (statement.count("$3") and 3) or 2]
                await connection.execute(statement, *arguments)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def _measure(base: str, tenants: int, requests: int) -> list[float]:
    """Latency (ms) of `requests` sequential list requests, each as a random tenant."""
    rng = random.Random(7)
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(requests + 100):
            n = rng.randint(1, tenants)
            unit = _md5_uuid(f"i{n}")
            headers = {"Authorization": f"Bearer ebhxh_bench-{n}"}
            started = time.perf_counter()
            response = client.get(f"/units/{unit}/employees?limit=50", headers=headers)
            elapsed = 1000 * (time.perf_counter() - started)
            response.raise_for_status()
            if len(response.json()["employees"]) != 50:
                raise RuntimeError(response.text)
            if i >= 100:  # the first 100 warm the connection pool and caches
                latencies.append(elapsed)
    return latencies


def _md5_uuid(text: str) -> str:
    import hashlib
    import uuid

    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))  # noqa: S324 - ids, not security


def _p(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(tenants: int, per_tenant: int, requests: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ebhxh-bench-scale-"))
    with database("scale") as url:
        settings = env(
            **database_roles(url),
            redis_url=REDIS,
            log_level="warning",
            data_dir=str(folder),
            queue_name="ebhxh-bench:queue",
        )
        cli("migrate", env=settings)
        asyncio.run(_load(url, 1, SMALL, per_tenant))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "ebhxh.cli",
            "serve",
            "--no-worker",
            "--no-migrate",
            "--port",
            str(port),
        ]
        uncached = {**settings, "EBHXH_READ_CACHE_SECONDS": "0"}

        def measure_both(count: int) -> tuple[list[float], list[float]]:
            with server(command, uncached, f"{base}/health"):
                query_path = _measure(base, count, requests)
            with server(command, settings, f"{base}/health"):
                as_deployed = _measure(base, count, requests)
            return query_path, as_deployed

        small, small_cached = measure_both(SMALL)
        started = time.perf_counter()
        asyncio.run(_load(url, SMALL + 1, tenants, per_tenant))
        loading = time.perf_counter() - started
        large, large_cached = measure_both(tenants)
    print(f"employee list, 50 per page, {requests} sequential requests as random tenants")
    print(
        f"grew by {tenants - SMALL:,} tenants and {(tenants - SMALL) * per_tenant:,} employees "
        f"in {loading:.0f} s"
    )
    for heading, pair in (
        ("read caches off: every request resolves its token and reads its page", (small, large)),
        ("as deployed, read caches on (see the module docstring)", (small_cached, large_cached)),
    ):
        print(heading)
        for label, count, latencies in zip(("small", "large"), (SMALL, tenants), pair, strict=True):
            print(
                f"  {label}: {count:>6,} tenants, {count * per_tenant:>9,} employees: "
                f"p50 {statistics.median(latencies):.2f} ms, p99 {_p(latencies, 0.99):.2f} ms"
            )
        print(f"  p99 large/small: {_p(pair[1], 0.99) / _p(pair[0], 0.99):.2f}")
    print("target (read caches off, the query path): p99 large/small <= 1.5")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--employees-per-tenant", type=int, default=100)
    parser.add_argument("--requests", type=int, default=3000)
    arguments = parser.parse_args()
    main(arguments.tenants, arguments.employees_per_tenant, arguments.requests)
