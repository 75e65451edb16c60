"""The moving parts of the proof runs, each a real server on 127.0.0.1: a database of its
own on the machine's PostgreSQL, a private Redis (which a run may kill and start again
empty), the VSS sandbox in a process of its own with an SMTP server catching its mail, and
`ebhxh worker` processes. Used by `bench.faults`, `bench.dossiers` and `tests/proof`.

Also the cheapest honest way to have many signed dossiers: one tenant per dossier (a unit's
tax code is unique in its tenant and must be the signing certificate's), each set up and
signed through the service layer as the API would, with SoftHSM2 signing every document.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from cryptography.fernet import Fernet

from ebhxh.demo.threaded import free_port
from ebhxh.settings import Settings

PG_ADMIN = os.environ.get("EBHXH_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
TAX_CODE = "0100109106"
TOKEN, PIN = "proof-token", "975310"
UNIT_NAME = "Công ty Cổ phần Sông Hồng"
UNIT_EMAIL = "nhansu@songhong.vn"
SECRET_KEY = Fernet.generate_key().decode()  # for this run only
END_STATES = ("awaiting_activation", "accepted", "with_officer", "refused")
"""Where a register-unit-code dossier stops once VSS has answered its submission."""


@dataclass(frozen=True)
class Pki:
    """A local CA, a SoftHSM2 token holding the company's key, and the trust store."""

    certificate: bytes
    trust_dir: Path
    token: str = TOKEN
    pin: str = PIN


def make_pki(folder: Path) -> Pki:
    """A fresh CA and token in `folder` (sets SOFTHSM2_CONF for this process)."""
    from ebhxh.demo import pki, softhsm

    ca = pki.LocalCA()
    softhsm.configure(folder / "hsm")
    softhsm.init_token(TOKEN, PIN)
    certificate = softhsm.add_key_and_certificate(
        TOKEN,
        PIN,
        b"\x01",
        lambda key: ca.issue(key, pki.name(UNIT_NAME.upper(), f"MST:{TAX_CODE}")),
    )
    return Pki(certificate=certificate, trust_dir=ca.write_trust_store(folder / "trust"))


def env_of(settings: Settings) -> dict[str, str]:
    """The environment of this process without EBHXH_*, plus `settings` as EBHXH_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}
    for field in msgspec.structs.fields(Settings):
        value = getattr(settings, field.name)
        if value is None or value == ():
            continue
        env[f"EBHXH_{field.name.upper()}"] = (
            ",".join(value) if isinstance(value, tuple) else str(value)
        )
    return env


def wait_for(
    check: Any, timeout: float, what: str, errors: tuple[type[Exception], ...] = ()
) -> None:
    """Call `check` until it is truthy (bounded by `timeout` seconds); `errors` (and
    connection errors) count as not yet.
    """
    deadline = time.monotonic() + timeout
    not_yet: tuple[type[Exception], ...] = (OSError, httpx.TransportError, *errors)
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except not_yet:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


class PrivateRedis:
    """A `redis-server` of this run only, without persistence: a restart loses everything."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            wait_for(client.ping, 10, "redis", (redis.ConnectionError,))
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: the data in memory is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


class SandboxProcess:
    """`ebhxh sandbox serve` with its own SQLite file; its mail goes to a catcher here."""

    def __init__(self, folder: Path, pki: Pki, validators: int = 0) -> None:
        from ebhxh.vss_sandbox.inbox import MailCatcher

        self.folder = folder
        self.mail = MailCatcher(folder / "mail", port=free_port())
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pki = pki
        self.validators = validators
        """Its validating processes (`EBHXH_SANDBOX_VALIDATORS`; 0: on its event loop)."""
        self.process: subprocess.Popen[bytes] | None = None
        self.mailing = False

    def start(self) -> None:
        self.mail.start()
        self.mailing = True
        settings = Settings(
            data_dir=str(self.folder),
            smtp_port=self.mail.port,
            trust_store_dir=str(self.pki.trust_dir),
            sandbox_validators=self.validators,
            log_level="warning",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ebhxh.cli", "sandbox", "serve", "--port", str(self.port)],
            env=env_of(settings),
            stdout=subprocess.DEVNULL,
        )
        wait_for(
            lambda: httpx.get(f"{self.url}/test/deliveries", timeout=1).is_success, 60, "sandbox"
        )

    def faults(self, **plan: Any) -> None:
        httpx.post(f"{self.url}/test/faults", json=plan, timeout=10).raise_for_status()

    def received(self) -> list[tuple[str, int, str]]:
        """Every dossier the sandbox holds: idempotency key, deliveries, document hash."""
        with sqlite3.connect(self.folder / "vss-sandbox.sqlite3") as db:
            rows = db.execute(
                "SELECT idempotency_key, deliveries, document_sha256 FROM vss_dossier"
            ).fetchall()
        return [(str(key), int(count), str(digest)) for key, count, digest in rows]

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.mailing:
            self.mail.stop()
            self.mailing = False


class Workers:
    """`ebhxh worker` processes on `settings`, each with a name of its own."""

    def __init__(self, settings: Settings, count: int, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0
        for _ in range(count):
            self.start_one()

    def start_one(self) -> str:
        self.started += 1
        name = f"proof-worker-{self.started}"
        settings = msgspec.structs.replace(self.settings, worker_id=name)
        with (self.logs / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "ebhxh.cli", "worker"],
                env=env_of(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return name

    def kill(self, name: str) -> None:
        """SIGKILL, no warning: whatever it held is left as it was."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def restart_dead(self) -> int:
        """Start a new worker for each that exited on its own (as an orchestrator would)."""
        dead = [name for name, process in self.processes.items() if process.poll() is not None]
        for name in dead:
            del self.processes[name]
            self.start_one()
        return len(dead)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()


async def _admin(admin: str, sql: str) -> None:
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def database(admin: str = PG_ADMIN) -> Iterator[str]:
    """A database of this run on the PostgreSQL of `admin` (a DSN), migrated; dropped
    after.
    """
    name = f"ebhxh_proof_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        subprocess.run(
            [sys.executable, "-m", "ebhxh.cli", "migrate"],
            env=env_of(Settings(database_url=url, log_level="warning")),
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))


@contextmanager
def folder(keep: Path | None = None) -> Iterator[Path]:
    """A temporary folder for the run's files, or `keep` (left in place)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="ebhxh-proof-") as path:
        yield Path(path)


@dataclass(frozen=True)
class Made:
    """A dossier made for a run: its tenant, its id, and its key at VSS."""

    tenant_id: uuid.UUID
    dossier_id: uuid.UUID
    idempotency_key: str


async def signed_dossiers(runtime: Any, pki: Pki, count: int, label: str) -> list[Made]:
    """`count` register-unit-code dossiers, each of its own tenant and unit, signed in
    SoftHSM2 and queued in the outbox (due now) through `DossierService.create`.

    Nothing is enqueued in Redis: the caller decides when the work may start.
    """
    import hashlib

    from ebhxh.clock import today_in_vietnam
    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.dossiers.tables import Dossier
    from ebhxh.gateway.contract import DossierKind
    from ebhxh.organisation.schemas import OrgNodeIn
    from ebhxh.organisation.service import OrganisationService
    from ebhxh.organisation.tables import NodeKind
    from ebhxh.signing.schemas import SignatureSetupIn
    from ebhxh.signing.service import SigningService
    from ebhxh.tenancy.bootstrap import create_tenant
    from ebhxh.units.schemas import Particulars, UnitDeclaration
    from ebhxh.units.service import UnitService

    made = []
    sha256 = hashlib.sha256(pki.certificate).hexdigest()
    for n in range(count):
        slug = f"proof-{label}-{n}"
        tenant = await create_tenant(
            slug=slug, name=f"Proof {n}", admin_email=f"admin@{slug}.example", admin_name="A"
        )
        scope = TenantScope(tenant.tenant_id)
        await OrganisationService(scope).push(
            [OrgNodeIn(external_id="HQ", kind=NodeKind.COMPANY, name=UNIT_NAME, tax_code=TAX_CODE)]
        )
        units = UnitService(scope, runtime.catalogue, "vi", today_in_vietnam(runtime.clock))
        unit, _ = await units.declare(
            UnitDeclaration(
                org_node_external_id="HQ",
                name=UNIT_NAME,
                tax_code=TAX_CODE,
                province="Hà Nội",
                first_time_participant=True,
                particulars=Particulars(email=UNIT_EMAIL),
            )
        )
        await SigningService(scope, runtime.catalogue, runtime.signing).set_up(
            unit.id,
            SignatureSetupIn(
                signer_type="hsm",
                settings={"token_label": pki.token},
                secrets={"pin": pki.pin},
                certificate_sha256=sha256,
            ),
        )
        dossier = await runtime.dossiers(scope).create(
            unit.id, DossierKind.REGISTER_UNIT_CODE, f"user:{tenant.admin_user_id}"
        )
        assert dossier.state == "submitting", dossier
        row = (
            await scope.select(Dossier, Dossier.idempotency_key)
            .where(Dossier.id == dossier.id)
            .first()
        )
        assert row is not None
        made.append(Made(tenant.tenant_id, dossier.id, str(row["idempotency_key"])))
    return made
