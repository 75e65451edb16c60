"""`/health`: the process answers. `/ready`: the database and Redis answer too."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import structlog
from litestar import Controller, Response, get
from litestar.datastructures import State
from piccolo.engine.postgres import PostgresEngine

from ebhxh.db.row_security import role_problems

log = structlog.get_logger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


class Health(msgspec.Struct, kw_only=True):
    """Liveness: the process is up."""

    status: str
    version: str


class Readiness(msgspec.Struct, kw_only=True):
    """Readiness of each dependency ("ok" or "unavailable") and live workers."""

    status: str
    database: str
    redis: str
    workers: list[str]


class HealthController(Controller):
    """Probes for operators and orchestrators; no authentication."""

    path = "/"
    tags = ["Operations"]
    opt = {"exclude_from_auth": True}

    @get("/health", operation_id="health", summary="The process is up")
    async def health(self, state: State) -> Health:
        return Health(status="ok", version=state.version)

    @get("/ready", operation_id="ready", summary="Database and Redis reachable")
    async def ready(self, state: State) -> Response[Readiness]:
        database = await _check(_database_answers(state))
        redis_ok = await _check(state.redis_pool.ping())
        from ebhxh.worker.heartbeat import live_workers

        workers = await live_workers(state.redis_pool) if redis_ok else []
        ok = database and redis_ok
        body = Readiness(
            status="ok" if ok else "unavailable",
            database="ok" if database else "unavailable",
            redis="ok" if redis_ok else "unavailable",
            workers=workers,
        )
        return Response(body, status_code=200 if ok else 503)


async def _database_answers(state: State) -> bool:
    rows = await state.engine.run_ddl("SELECT 1 AS one", in_pool=True)
    if rows and not state.get("database_role_checked"):
        await _warn_about_role(state.engine)
        state.database_role_checked = True
    return bool(rows)


async def _warn_about_role(engine: Any) -> None:
    """Say loudly, once per process, when the app's PostgreSQL role would pass through the
    row-level security policies (superuser, BYPASSRLS, or owner of the tables).
    """
    if not isinstance(engine, PostgresEngine):
        return
    role, problems = await role_problems(engine)
    if problems:
        log.error(
            "database_role_bypasses_row_security",
            role=role,
            problems=problems,
            fix="connect as a role that owns no table, NOSUPERUSER NOBYPASSRLS "
            "(docs/operations.md); EBHXH_DATABASE_OWNER_URL runs the migrations",
        )


async def _check(probe: Any) -> bool:
    try:
        return bool(await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness_check_failed", error_type=type(exc).__name__)
        return False
