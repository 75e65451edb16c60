"""Item 4 of the proof suite: PostgreSQL restarted under load.

A private PostgreSQL 15 cluster (initdb into a temporary folder, run as the `postgres` user
when this runs as root, on a free port of 127.0.0.1) carries the API (`ebhxh serve
--no-worker`, its own process). Client tasks fire authenticated requests without pause
(reads of units and dossiers, and declarations of units, which write); mid-run the cluster
is stopped with `pg_ctl stop -m immediate` (a crash), left down a few seconds, and started
again. Counted: answers by status while it is down, how many 503s carry `Retry-After`,
500s (must be none), and the time from the database being back to the first success.
The app is never restarted.

    uv run python -m bench.pg_outage [--clients 8] [--down 5] [--before 3] [--after 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import stack
from ebhxh.demo.threaded import free_port
from ebhxh.settings import Settings

PG_BIN = Path(os.environ.get("EBHXH_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PrivatePostgres:
    """A throw-away cluster; `crash` stops it as a power cut would, `start` brings it back."""

    def __init__(self) -> None:
        # Its own folder under the system's temporary one: the `postgres` account must be
        # able to reach it (pytest's temporary folders are private to root).
        self.folder = Path(tempfile.mkdtemp(prefix="ebhxh-pg-"))
        self.data = self.folder / "pgdata"
        self.port = free_port()
        self.admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb and postgres refuse to run as root: use the `postgres` account then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout!r} {done.stderr!r}")

    def init(self) -> None:
        if self._as:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "postgres.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def crash(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.crash()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Tally:
    """Answers in one phase of the run."""

    statuses: Counter[int] = field(default_factory=Counter)
    retry_after: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0


@dataclass(frozen=True)
class OutageFigures:
    """What the run proved."""

    requests: int
    before: dict[int, int]
    during: dict[int, int]
    after: dict[int, int]
    during_503_with_retry_after: int
    during_codes: dict[str, int]
    server_errors_500: int
    transport_errors: int
    down_seconds: float
    recover_seconds: float | None
    """From `pg_ctl start` returning to the first successful answer."""

    def report(self) -> str:
        recover = "never" if self.recover_seconds is None else f"{self.recover_seconds:.2f} s"
        return "\n".join(
            (
                f"requests: {self.requests}; database down {self.down_seconds:.1f} s",
                f"before: {dict(sorted(self.before.items()))}",
                f"while down: {dict(sorted(self.during.items()))}, 503 with Retry-After: "
                f"{self.during_503_with_retry_after}, codes {self.during_codes}",
                f"after: {dict(sorted(self.after.items()))}",
                f"500s: {self.server_errors_500}; connection errors: {self.transport_errors}",
                f"time to recover (database back -> first success): {recover}",
            )
        )


async def _client(
    api: httpx.AsyncClient,
    token: str,
    phase: list[str],
    tallies: dict[str, Tally],
    first_success: list[float],
    stop: asyncio.Event,
    number: int,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    while not stop.is_set():
        n += 1
        current = phase[0]
        try:
            if n % 4 == 0:  # a write: declare a branch unit (refused or created, never 500)
                response = await api.post(
                    "/units",
                    json={
                        "org_node_external_id": "HQ",
                        "name": stack.UNIT_NAME,
                        "tax_code": stack.TAX_CODE,
                        "province": "Hà Nội",
                        "first_time_participant": True,
                    },
                    headers=headers,
                )
            else:
                response = await api.get("/units" if n % 2 else "/organisation", headers=headers)
        except httpx.TransportError:
            tallies[current].transport_errors += 1
            await asyncio.sleep(0.05)
            continue
        tally = tallies[current]
        tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            tally.codes[str(response.json().get("code"))] += 1
        if response.status_code == 503 and response.headers.get("retry-after"):
            tally.retry_after += 1
        if current == "after" and response.status_code < 500 and not first_success:
            first_success.append(time.monotonic())
        if response.status_code >= 500:
            await asyncio.sleep(0.02)  # a well-behaved client backs off a little


async def _load(
    url: str,
    token: str,
    database: PrivatePostgres,
    clients: int,
    before: float,
    down: float,
    after: float,
) -> OutageFigures:
    phase = ["before"]
    tallies = {name: Tally() for name in ("before", "during", "after")}
    first_success: list[float] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=30) as api:
        tasks = [
            asyncio.create_task(_client(api, token, phase, tallies, first_success, stop, n))
            for n in range(clients)
        ]
        await asyncio.sleep(before)
        phase[0] = "during"
        crashed = time.monotonic()
        await asyncio.to_thread(database.crash)
        await asyncio.sleep(down)
        await asyncio.to_thread(database.start)
        back = time.monotonic()
        phase[0] = "after"
        await asyncio.sleep(after)
        stop.set()
        await asyncio.gather(*tasks)
    total = sum(sum(t.statuses.values()) for t in tallies.values())
    return OutageFigures(
        requests=total,
        before=dict(tallies["before"].statuses),
        during=dict(tallies["during"].statuses),
        after=dict(tallies["after"].statuses),
        during_503_with_retry_after=tallies["during"].retry_after,
        during_codes=dict(tallies["during"].codes),
        server_errors_500=sum(t.statuses[500] for t in tallies.values()),
        transport_errors=sum(t.transport_errors for t in tallies.values()),
        down_seconds=back - crashed,
        recover_seconds=(first_success[0] - back) if first_success else None,
    )


async def _tenant(database_url: str) -> str:
    """A tenant with the organisation of one company; its admin's token."""
    from ebhxh.db.engine import bind_engine, build_engine, close_engine, open_engine
    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.organisation.schemas import OrgNodeIn
    from ebhxh.organisation.service import OrganisationService
    from ebhxh.organisation.tables import NodeKind
    from ebhxh.tenancy.bootstrap import create_tenant

    engine = build_engine(Settings(database_url=database_url))
    bind_engine(engine)
    await open_engine(engine)
    try:
        slug = f"outage-{uuid.uuid4().hex[:8]}"
        tenant = await create_tenant(
            slug=slug, name="Outage", admin_email=f"admin@{slug}.example", admin_name="A"
        )
        await OrganisationService(TenantScope(tenant.tenant_id)).push(
            [
                OrgNodeIn(
                    external_id="HQ",
                    kind=NodeKind.COMPANY,
                    name=stack.UNIT_NAME,
                    tax_code=stack.TAX_CODE,
                )
            ]
        )
        return tenant.token
    finally:
        await close_engine(engine)


def run_outage(
    folder: Path, *, clients: int = 8, before: float = 3, down: float = 5, after: float = 5
) -> OutageFigures:
    """The whole item: cluster, API, load, crash, restart, figures."""
    database = PrivatePostgres()
    redis = stack.PrivateRedis(folder)
    api: subprocess.Popen[bytes] | None = None
    try:
        database.init()
        database.start()
        redis.start()
        with stack.database(database.admin) as url:
            token = asyncio.run(_tenant(url))
            port = free_port()
            settings = Settings(
                database_url=url,
                redis_url=redis.url,
                log_level="warning",
                port=port,
                vss_url="http://127.0.0.1:9",  # not called; unset would mount the sandbox
                host="127.0.0.1",
            )
            with (folder / "api.log").open("wb") as log:
                api = subprocess.Popen(
                    [sys.executable, "-m", "ebhxh.cli", "serve", "--no-worker", "--no-migrate"],
                    env=stack.env_of(settings),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            base = f"http://127.0.0.1:{port}"
            stack.wait_for(lambda: httpx.get(f"{base}/ready", timeout=1).is_success, 60, "api")
            figures = asyncio.run(_load(base, token, database, clients, before, down, after))
            api.terminate()
            api.wait(timeout=30)
            return figures
    finally:
        if api is not None and api.poll() is None:
            api.kill()
        redis.kill()
        database.remove()


def main(arguments: argparse.Namespace) -> Any:
    with stack.folder(arguments.keep) as folder:
        figures = run_outage(
            folder,
            clients=arguments.clients,
            before=arguments.before,
            down=arguments.down,
            after=arguments.after,
        )
    print(figures.report())
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--before", type=float, default=3)
    parser.add_argument("--down", type=float, default=5)
    parser.add_argument("--after", type=float, default=5)
    parser.add_argument("--keep", type=Path, help="keep the run's files (API log) here")
    main(parser.parse_args())
