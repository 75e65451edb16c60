"""Shared fixtures: a fresh PostgreSQL database per run, the embedded SQLite default, real
Redis, and the app under test through Litestar's AsyncTestClient.

Tests marked `sqlite` run on both backends; the others on PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import msgspec
import pytest
from cryptography.fernet import Fernet
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.settings import Settings
from ebhxh.tenancy.bootstrap import CreatedTenant, create_tenant
from tests import log_scan
from tests.browser import chromium, page  # noqa: F401 - the browser fixtures, for every module
from tests.served import served  # noqa: F401 - `ebhxh serve` in a process, for every module

PG_ADMIN_DSN = os.environ.get(
    "EBHXH_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("EBHXH_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    # The log scan (tests/log_scan.py) runs for every session that loads these fixtures.
    if not config.pluginmanager.is_registered(log_scan):
        config.pluginmanager.register(log_scan, "ebhxh-log-scan")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("sqlite") is not None
        metafunc.parametrize("backend", ["postgres", "sqlite"] if both else ["postgres"])


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the `ebhxh` command of this environment with `env` added to a clean EBHXH_ env."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}
    result = subprocess.run(
        [sys.executable, "-m", "ebhxh.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    # stderr is its log; stdout is what it tells its user (a token printed once is a
    # secret from then on: no log may repeat it).
    log_scan.keep_log(f"cli-{args[0]}", result.stderr)
    log_scan.register_printed_tokens(result.stdout)
    return result


def settings_env(settings: Settings) -> dict[str, str]:
    """`settings` as the EBHXH_* variables that reproduce them in another process."""
    env = {}
    for field in msgspec.structs.fields(Settings):
        value = getattr(settings, field.name)
        if value is None or value == ():
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        env[f"EBHXH_{field.name.upper()}"] = text
    return env


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """`ebhxh worker` in a process of its own, on `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}
    with log_scan.log_path("worker").open("w") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "ebhxh.cli", "worker"],
            env={**env, **settings_env(settings)},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


APP_ROLE = "ebhxh_app_test"
"""The role the app, workers and CLI connect as in the tests: it owns no table and is
NOSUPERUSER NOBYPASSRLS, so the whole suite runs under row-level security."""


async def _admin(sql: str, dsn: str = PG_ADMIN_DSN) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _ensure_app_role() -> None:
    # A cluster-wide role, shared by concurrent test runs: create it once, tolerate a race.
    with contextlib.suppress(asyncpg.DuplicateObjectError):
        await _admin(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB")


def _with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


@pytest.fixture(scope="session")
def pg_owner_url() -> Iterator[str]:
    """A PostgreSQL database created for this run, as its owner (who runs migrations)."""
    import asyncio

    name = f"ebhxh_test_{RUN_ID}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_ensure_app_role())
    yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url(pg_owner_url: str) -> str:
    """The run's database as the app role, migrated with `ebhxh migrate` (as the owner,
    which then grants the app role row access).
    """
    url = _with_user(pg_owner_url, APP_ROLE)
    env = {"EBHXH_DATABASE_URL": url, "EBHXH_DATABASE_OWNER_URL": pg_owner_url}
    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded default's data folder, migrated with `ebhxh migrate`."""
    path = tmp_path_factory.mktemp("embedded")
    result = run_cli("migrate", env={"EBHXH_DATA_DIR": str(path)})
    assert result.returncode == 0, result.stdout + result.stderr
    return path


class Pki:
    """The session's test PKI, SoftHSM2 token and trust store."""

    TOKEN = "ebhxh-test-token"
    PIN = "246810"
    TAX_CODE = "0100109106"

    def __init__(self, folder: Path) -> None:
        from ebhxh.demo import pki, softhsm

        self.ca = pki.LocalCA()
        self.stranger_ca = pki.LocalCA("Untrusted CA")
        softhsm.configure(folder / "hsm")
        softhsm.init_token(self.TOKEN, self.PIN)
        self.organisation = softhsm.add_key_and_certificate(
            self.TOKEN,
            self.PIN,
            b"\x01",
            lambda key: self.ca.issue(
                key, pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{self.TAX_CODE}")
            ),
        )
        self.previous_organisation = softhsm.add_key_and_certificate(
            self.TOKEN,
            self.PIN,
            b"\x03",
            lambda key: self.ca.issue(
                key, pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{self.TAX_CODE}")
            ),
        )
        """The company's earlier certificate (the one registered with a former provider)."""
        self.personal = softhsm.add_key_and_certificate(
            self.TOKEN,
            self.PIN,
            b"\x02",
            lambda key: self.ca.issue(key, pki.name("Nguyễn Văn An", "CCCD:001085012345")),
        )
        self.trust_dir = self.ca.write_trust_store(folder / "trust")


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from ebhxh.demo import softhsm

    if not softhsm.available():
        pytest.fail("SoftHSM2 is not installed: run `make test` (scripts/test installs it)")
    return Pki(tmp_path_factory.mktemp("pki"))


SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, test_pki: Pki) -> Settings:
    """Settings for the backend under test: PostgreSQL + the machine's Redis, or embedded."""
    common = {"trust_store_dir": str(test_pki.trust_dir), "secret_keys": (SECRET_KEY,)}
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        return Settings(
            database_url=url,
            redis_url=REDIS_URL,
            # A queue (and so a rate-limit namespace) per test: no test inherits another's
            # queued jobs or its pairing attempts.
            queue_name=f"ebhxh-test-{RUN_ID}-{uuid.uuid4().hex[:6]}:queue",
            **common,
        )
    data_dir = request.getfixturevalue("sqlite_dir")
    queue = f"ebhxh-test-{uuid.uuid4().hex[:6]}:queue"
    return Settings(data_dir=str(data_dir), queue_name=queue, **common)


@pytest.fixture(scope="module")
def embedded_platform(sqlite_dir: Path) -> Iterator[Settings]:
    """`ebhxh serve` on the embedded default with nothing else configured (so the development
    identity provider is on), served by uvicorn on a free port; its settings.
    """
    from tests.dev_idp_helpers import embedded_settings, serving

    settings = embedded_settings(sqlite_dir, SECRET_KEY)
    with serving(settings):
        yield settings


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings, configure_logs=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


class TenantHandle:
    """A tenant made for one test, with its admin token as request headers."""

    def __init__(self, created: CreatedTenant) -> None:
        self.created = created
        self.id = created.tenant_id
        self.token = created.token
        log_scan.register_secret(created.token, "an API token")
        self.headers = {"Authorization": f"Bearer {created.token}"}


def in_app(client: AsyncTestClient[Litestar], function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `function(*args, **kwargs)` (a coroutine function) on the app's event loop.

    The test client runs the app, and so its database pool, on a loop of its own thread;
    direct database work in a test must run there too.
    """
    return client.blocking_portal.call(functools.partial(function, *args, **kwargs))


def tenant_on(client: AsyncTestClient[Litestar], name: str = "Công ty Thử nghiệm") -> TenantHandle:
    """Create a tenant (unique slug) with an admin token, on the database of `client`'s app."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    created = in_app(
        client,
        create_tenant,
        slug=slug,
        name=name,
        admin_email=f"admin@{slug}.example",
        admin_name="Admin",
    )
    return TenantHandle(created)


def scrape(
    client: AsyncTestClient[Litestar],
    address: str = "10.0.0.7",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET /metrics as a scraper at `address` would (the test client's own peer is not an
    address, and /metrics answers only addresses in `metrics_networks`).
    """

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://ebhxh") as scraper:
            return await scraper.get("/metrics", headers=headers)

    response: httpx.Response = in_app(client, get)
    return response


@pytest.fixture
def make_tenant(client: AsyncTestClient[Litestar]) -> Any:
    """Create a tenant (unique slug) with an admin token, on the app's database."""

    async def make(name: str = "Công ty Thử nghiệm") -> TenantHandle:
        return tenant_on(client, name)

    return make


@pytest.fixture
async def tenant(make_tenant: Any) -> TenantHandle:
    handle: TenantHandle = await make_tenant()
    return handle


HANOI_TREE = {
    "nodes": [
        {
            "external_id": "HQ",
            "kind": "company",
            "name": "Công ty Cổ phần Sông Hồng",
            "tax_code": "0100109106",
        },
        {
            "external_id": "BR-DN",
            "kind": "branch",
            "name": "Chi nhánh Đà Nẵng",
            "parent_external_id": "HQ",
            "tax_code": "0100109106-001",
        },
        {
            "external_id": "SUB-QN",
            "kind": "subsidiary",
            "name": "Công ty TNHH Quảng Nam",
            "parent_external_id": "HQ",
        },
        {
            "external_id": "HR",
            "kind": "department",
            "name": "Phòng Nhân sự",
            "parent_external_id": "HQ",
        },
    ]
}


def valid_tax_code(seed: int) -> str:
    """A valid 10-digit tax code derived from `seed` (python-stdnum computes the check)."""
    from stdnum.vn import mst

    n = seed
    while True:
        body = f"01{n % 10_000_000:07d}"
        check = mst.calc_check_digit(body)
        if len(check) == 1 and body[2:9] != "0000000":
            return body + check
        n += 1


HQ_DECLARATION = {
    "org_node_external_id": "HQ",
    "name": "Công ty Cổ phần Sông Hồng",
    "tax_code": "0100109106",
    "province": "Hà Nội",
    "first_time_participant": True,
}
"""The head office of `HANOI_TREE` declared as a first-time Hà Nội unit."""

DA_NANG_BRANCH_DECLARATION = {
    "org_node_external_id": "BR-DN",
    "name": "Chi nhánh Đà Nẵng",
    "tax_code": "0100109106-001",
    "province": "Đà Nẵng",
    "first_time_participant": True,
}
"""The Đà Nẵng branch of `HANOI_TREE` declared as a first-time unit (the paper route)."""


async def set_up_hsm_signature(
    client: AsyncTestClient[Litestar],
    tenant: TenantHandle,
    test_pki: Pki,
    unit_id: str,
    certificate: bytes | None = None,
) -> Any:
    """PUT the unit's signature: the HSM signer on the test token, its organisation cert
    (or `certificate`).
    """
    from ebhxh.signing.certificates import summarise

    return await client.put(
        f"/units/{unit_id}/signature",
        json={
            "signer_type": "hsm",
            "settings": {"token_label": test_pki.TOKEN},
            "secrets": {"pin": test_pki.PIN},
            "certificate_sha256": summarise(certificate or test_pki.organisation).sha256,
        },
        headers=tenant.headers,
    )


UNIT_EMAIL = "nhansu@songhong.vn"


async def signed_unit(
    client: AsyncTestClient[Litestar], tenant: TenantHandle, test_pki: Pki, **declaration: Any
) -> str:
    """The head office of `HANOI_TREE` declared (with an email) and its HSM signature set up."""
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    body = {**HQ_DECLARATION, "particulars": {"email": UNIT_EMAIL}, **declaration}
    declared = await client.post("/units", json=body, headers=tenant.headers)
    assert declared.status_code == 201, declared.text
    unit_id = str(declared.json()["id"])
    setup = await set_up_hsm_signature(client, tenant, test_pki, unit_id)
    assert setup.status_code == 200, setup.text
    return unit_id


async def settle_outbox() -> None:
    """Mark every pending outbox row done: the tests share one database, and a later test's
    worker (talking to a later sandbox) must not pick up an earlier test's leftover work.
    """
    import datetime as dt

    from ebhxh.db.binding import system_access
    from ebhxh.dossiers.tables import OutboxJob

    with system_access():  # test housekeeping across tenants
        await OutboxJob.update({OutboxJob.done_at: dt.datetime.now(dt.UTC)}).where(
            OutboxJob.done_at.is_null()
        )
