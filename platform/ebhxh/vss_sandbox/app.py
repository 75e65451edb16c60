"""Build the sandbox's Litestar app on its own SQLite database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State

from ebhxh.clock import Clock, SystemClock
from ebhxh.http.limits import JSON_BODY
from ebhxh.signing.trust import TrustStore
from ebhxh.vss_sandbox.controller import OfficerController, SandboxController
from ebhxh.vss_sandbox.employees import SandboxEmployees
from ebhxh.vss_sandbox.engine import SandboxSQLiteEngine
from ebhxh.vss_sandbox.faults import Faults
from ebhxh.vss_sandbox.service import SandboxService
from ebhxh.vss_sandbox.settings import SandboxSettings
from ebhxh.vss_sandbox.tables import SANDBOX_TABLES
from ebhxh.vss_sandbox.validators import InProcessValidator, PooledValidator, Validator


async def create_sandbox_tables() -> None:
    """Create the sandbox's tables in its own database (mounted apps get no lifespan), and
    add columns newer than an existing sandbox file (it has no migrations: it is test data).
    """
    for table in SANDBOX_TABLES:
        await table.create_table(if_not_exists=True)
        present = {
            row["name"] for row in await table.raw(f"PRAGMA table_info({table._meta.tablename})")
        }
        for column in table._meta.columns:
            if column._meta.db_column_name not in present:
                await table.alter().add_column(column._meta.name, column)


async def start_sandbox(app: Litestar) -> None:
    """Make what a sandbox app needs before its first request: its tables, and its
    validating processes started and ready (a mounted app gets no lifespan: the platform's
    calls this).
    """
    await create_sandbox_tables()
    service: SandboxService = app.state.sandbox
    await service.validator.start()


async def close_sandbox(app: Litestar) -> None:
    """Close what a sandbox app keeps open between requests: its SMTP and SQLite
    connections, its validating processes (a mounted app gets no lifespan: the platform's
    calls this).
    """
    service: SandboxService = app.state.sandbox
    engine: SandboxSQLiteEngine = app.state.engine
    await service.mailer.close()
    engine.close()
    service.validator.close()


def _validator(settings: SandboxSettings) -> Validator:
    if settings.validators:
        return PooledValidator(settings.trust_store_dir, settings.validators)
    return InProcessValidator(
        TrustStore.from_folder(Path(settings.trust_store_dir) if settings.trust_store_dir else None)
    )


def create_sandbox_app(settings: SandboxSettings, clock: Clock | None = None) -> Litestar:
    """The sandbox as an ASGI app (standalone, or mounted by the platform at /vss)."""
    Path(settings.database_path).parent.mkdir(parents=True, exist_ok=True)
    engine = SandboxSQLiteEngine(path=settings.database_path)
    for table in SANDBOX_TABLES:
        table._meta.db = engine
    validator = _validator(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            await start_sandbox(app)
            yield
        finally:
            await close_sandbox(app)

    return Litestar(
        route_handlers=[SandboxController, OfficerController],
        lifespan=[lifespan],
        state=State(
            {
                "sandbox": SandboxService(settings, validator, clock or SystemClock()),
                "engine": engine,
                "employees": SandboxEmployees(),
                "faults": Faults(),
            }
        ),
        openapi_config=None,
        logging_config=None,
        request_max_body_size=JSON_BODY,
    )
