"""Benchmark: the authenticated, tenant-scoped unit list on PostgreSQL against a bare
Litestar endpoint returning the same JSON, in one run.

Ours: `ebhxh serve --no-worker` (one uvicorn process) on a migrated database, a tenant
with 20 declared units, `GET /units` with its API token: the token resolved, the tenant
bound, the units read through the TenantScope and serialised, as the API runs in
production, so with its read caches (a resolved token and the tenant's unit list are
kept in memory until a change to them commits anywhere, seen through LISTEN/NOTIFY).
Baseline: `bench.bare_units` (one uvicorn process) returning the same 20 units from
memory. Maximum throughput by `wrk -t1 -c32` in alternating rounds (median); then latency at
half of our maximum, from the open-loop generator `bench.loadgen` in its own process, for
ours and, at the same rate, for the baseline.
Also measured, for the record: ours with the read caches off
(`EBHXH_READ_CACHE_SECONDS=0`), every request reading PostgreSQL.
Targets: ours >= 0.4x the baseline's throughput; p99 <= 25 ms at half our maximum.

    uv run python -m bench.unit_list [--rounds 3] [--seconds 10]

Needs PostgreSQL (`EBHXH_BENCH_PG_ADMIN`, default postgresql://postgres@127.0.0.1:5432/
postgres), Redis (`EBHXH_BENCH_REDIS`, default redis://127.0.0.1:6379/0) and wrk (installed
with apt when missing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from bench.common import cli, database, database_roles, env, open_loop, server, wrk
from ebhxh.demo.threaded import free_port

REDIS = os.environ.get("EBHXH_BENCH_REDIS", "redis://127.0.0.1:6379/0")
TAX_CODE = "0100109106"
UNITS = 20


def _declare_units(base: str, headers: dict[str, str]) -> bytes:
    """Push an organisation of a company and 19 branches, declare a unit for each; the
    unit list's JSON.
    """
    nodes = [
        {
            "external_id": "HQ",
            "kind": "company",
            "name": "Công ty Cổ phần Sông Hồng",
            "tax_code": TAX_CODE,
        }
    ]
    nodes += [
        {
            "external_id": f"BR-{n:03}",
            "kind": "branch",
            "name": f"Chi nhánh số {n}",
            "parent_external_id": "HQ",
            "tax_code": f"{TAX_CODE}-{n:03}",
        }
        for n in range(1, UNITS)
    ]
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        client.put("/organisation", json={"nodes": nodes}).raise_for_status()
        for node in nodes:
            client.post(
                "/units",
                json={
                    "org_node_external_id": node["external_id"],
                    "name": node["name"],
                    "tax_code": node["tax_code"],
                    "province": "Hà Nội",
                    "first_time_participant": True,
                },
            ).raise_for_status()
        listed = client.get("/units")
        listed.raise_for_status()
    assert len(listed.json()["units"]) == UNITS
    return listed.content


def main(rounds: int, seconds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ebhxh-bench-units-"))
    with database("units") as url:
        settings = env(
            **database_roles(url),
            redis_url=REDIS,
            log_level="warning",
            data_dir=str(folder),
            queue_name="ebhxh-bench:queue",
        )
        cli("migrate", env=settings)
        created = cli(
            "tenants",
            "create",
            "--slug",
            "bench",
            "--name",
            "Bench",
            "--admin-email",
            "admin@bench.example",
            env=settings,
        )
        headers = {"Authorization": f"Bearer {created.strip().splitlines()[-1]}"}
        ours_port, bare_port = free_port(), free_port()
        ours = f"http://127.0.0.1:{ours_port}"
        bare = f"http://127.0.0.1:{bare_port}"
        command = [
            sys.executable,
            "-m",
            "ebhxh.cli",
            "serve",
            "--no-worker",
            "--no-migrate",
            "--port",
            str(ours_port),
        ]
        with server(command, settings, f"{ours}/health"):
            units_json = folder / "units.json"
            units_json.write_bytes(_declare_units(ours, headers))
            bare_command = [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare_units:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            bare_env = {**os.environ, "EBHXH_BENCH_UNITS_JSON": str(units_json)}
            with server(bare_command, bare_env, f"{bare}/health"):
                assert (
                    httpx.get(f"{bare}/units").json()
                    == httpx.get(f"{ours}/units", headers=headers).json()
                )
                wrk(f"{ours}/units", headers, 3)  # warm both up
                wrk(f"{bare}/units", {}, 3)
                ours_rates, bare_rates = [], []
                for _ in range(rounds):
                    ours_rates.append(wrk(f"{ours}/units", headers, seconds))
                    bare_rates.append(wrk(f"{bare}/units", {}, seconds))
                ours_max = statistics.median(ours_rates)
                bare_max = statistics.median(bare_rates)
                half = open_loop(f"{ours}/units", headers, ours_max / 2, 2 * seconds)
                # The same rate against the baseline: what the generator and the machine
                # add to any server's latency at this load.
                bare_half = open_loop(f"{bare}/units", {}, ours_max / 2, 2 * seconds)
        uncached_settings = {**settings, "EBHXH_READ_CACHE_SECONDS": "0"}
        with server(command, uncached_settings, f"{ours}/health"):
            wrk(f"{ours}/units", headers, 3)
            uncached_rates = [wrk(f"{ours}/units", headers, seconds) for _ in range(rounds)]
    uncached_max = statistics.median(uncached_rates)
    ratio = ours_max / bare_max
    print(
        f"unit list of {UNITS} units, wrk -t1 -c32, median of {rounds} alternating rounds "
        f"of {seconds} s"
    )
    print(
        f"baseline (bare Litestar, same JSON from memory): {bare_max:8,.0f} requests/s  "
        f"{[round(r) for r in bare_rates]}"
    )
    print(
        f"ours (token, tenant scope, read caches):         {ours_max:8,.0f} requests/s  "
        f"{[round(r) for r in ours_rates]}"
    )
    print(f"ratio ours/baseline: {ratio:.2f}  (target >= 0.4)")
    print(
        f"ours with the read caches off:                   {uncached_max:8,.0f} requests/s  "
        f"{[round(r) for r in uncached_rates]}  (ratio {uncached_max / bare_max:.2f})"
    )
    print(
        f"at half our maximum ({half['rate']:,.0f} requests/s answered of "
        f"{ours_max / 2:,.0f} asked, open loop, {2 * seconds} s): p50 {half['p50_ms']:.1f} ms, "
        f"p99 {half['p99_ms']:.1f} ms (target <= 25), max {half['max_ms']:.1f} ms, "
        f"errors {half['errors']:.0f}"
    )
    if half["errors"] or bare_half["errors"]:
        print("  (errors above: those requests are not in the percentiles; the p99 is not valid)")
    print(
        f"the baseline at the same rate ({bare_half['rate']:,.0f} requests/s answered): "
        f"p50 {bare_half['p50_ms']:.1f} ms, p99 {bare_half['p99_ms']:.1f} ms, "
        f"max {bare_half['max_ms']:.1f} ms, errors {bare_half['errors']:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.seconds)
