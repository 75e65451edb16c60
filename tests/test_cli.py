"""The `ebhxh` command as a newcomer and an operator run it: serve, migrate, tenants."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx

from tests.conftest import HANOI_TREE, run_cli
from tests.served import Served


def test_serve_on_the_embedded_default_reaches_a_declared_unit(served: Served) -> None:
    output = served.log.read_text()
    found = re.search(r"(ebhxh_[A-Za-z0-9_\-]{40,})", output)
    assert found, output
    headers = {"Authorization": f"Bearer {found.group(1)}"}

    assert httpx.get(f"{served.base}/docs").status_code == 200
    deadline = time.monotonic() + 15
    while not httpx.get(f"{served.base}/ready").json()["workers"]:
        assert time.monotonic() < deadline, "the in-process worker never reported"
        time.sleep(0.2)
    assert httpx.put(f"{served.base}/organisation", json=HANOI_TREE, headers=headers).is_success
    unit = httpx.post(
        f"{served.base}/units",
        json={
            "org_node_external_id": "SUB-QN",
            "name": "Công ty TNHH Quảng Nam",
            "tax_code": "0100109106-002",
            "province": "Quảng Nam",
            "first_time_participant": True,
        },
        headers=headers,
    )
    assert unit.status_code == 201, unit.text
    assert (unit.json()["province"]["name"], unit.json()["route"]) == ("Đà Nẵng", "paper")

    logs = [line for line in served.logs.read_text().splitlines() if line.startswith("{")]
    assert logs, "serve wrote no JSON log lines"
    assert not [line for line in logs if found.group(1) in line]


def test_migrate_twice_is_a_no_op_on_both_databases(pg_url: str, sqlite_dir: Path) -> None:
    for env in ({"EBHXH_DATABASE_URL": pg_url}, {"EBHXH_DATA_DIR": str(sqlite_dir)}):
        again = run_cli("migrate", env=env)
        assert again.returncode == 0, again.stderr
        assert "No migrations need to be run" in again.stdout


def test_tenants_create_prints_a_working_token_once(pg_url: str) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    args = (
        "tenants",
        "create",
        "--slug",
        slug,
        "--name",
        "Công ty CLI",
        "--admin-email",
        f"a@{slug}.vn",
    )
    created = run_cli(*args, env={"EBHXH_DATABASE_URL": pg_url})
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ebhxh_")
    assert token not in created.stderr
    again = run_cli(*args, env={"EBHXH_DATABASE_URL": pg_url})
    assert again.returncode == 1
    assert "already exists" in again.stderr
    bad = run_cli(
        "tenants",
        "create",
        "--slug",
        "Bad Slug!",
        "--name",
        "x",
        "--admin-email",
        "x@x.vn",
        env={"EBHXH_DATABASE_URL": pg_url},
    )
    assert bad.returncode == 1
    assert "Slug" in bad.stderr


def test_a_bad_setting_is_named(pg_url: str) -> None:
    result = run_cli("plugins", env={"EBHXH_PORT": "eighty"})
    assert result.returncode == 1
    assert "EBHXH_PORT: Expected `int`, got `str`" in result.stderr


def test_the_demo_runs_to_the_end(tmp_path: Path) -> None:
    result = run_cli("demo", env={"EBHXH_DATA_DIR": str(tmp_path)}, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[11] Xong: đơn vị" in result.stdout
    assert "is active." in result.stdout
    assert "mã kích hoạt" in result.stdout
