"""What the benchmarks share: a PostgreSQL database made for one run, the `ebhxh` command
with a clean environment, a server process waited for, and the wrk load generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

PG_ADMIN = os.environ.get("EBHXH_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "ebhxh_app_bench"
"""The role the benchmarked app connects as: no owner, no superuser, no BYPASSRLS, so
row-level security holds as in production."""


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"))


def database_roles(owner_url: str) -> dict[str, str]:
    """Settings for the app as production runs it: migrations as the owner, the app as
    `APP_ROLE` (created when missing).
    """
    with contextlib.suppress(asyncpg.DuplicateObjectError):
        asyncio.run(admin(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    return {"database_url": with_user(owner_url, APP_ROLE), "database_owner_url": owner_url}


def env(**settings: str) -> dict[str, str]:
    """The process environment without EBHXH_* variables, plus `settings` as EBHXH_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}
    return base | {f"EBHXH_{name.upper()}": value for name, value in settings.items()}


def cli(*args: str, env: dict[str, str]) -> str:
    """Run `ebhxh ARGS`; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "ebhxh.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database for the run (its URL), dropped afterwards."""
    name = f"ebhxh_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def server(command: list[str], env: dict[str, str], health_url: str) -> Iterator[None]:
    """Run `command` until the block ends, once `health_url` answers."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if httpx.get(health_url, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"{command} did not answer {health_url}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, headers: dict[str, str], seconds: int = 10, connections: int = 32) -> float:
    """Requests per second `wrk -t1` reaches against `url` (closed loop: maximum rate)."""
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw errors:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: int = 10
) -> dict[str, float]:
    """Latencies at a fixed `rate` from `bench.loadgen` in a process of its own."""
    import json

    args = [sys.executable, "-m", "bench.loadgen", "--url", url, "--rate", str(rate)]
    args += ["--seconds", str(seconds)]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result
