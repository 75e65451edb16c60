"""The Litestar application factory: settings -> database, Redis, plugins, routes.

`create_app()` with no arguments runs on the environment's settings (the embedded default
when there are none). Tests pass their own settings, plugins and clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware

from ebhxh import __version__
from ebhxh.auth.middleware import BearerTokenMiddleware
from ebhxh.clock import Clock, SystemClock
from ebhxh.db.engine import bind_engine, build_engine, close_engine, open_engine
from ebhxh.errors.handlers import EXCEPTION_HANDLERS
from ebhxh.health.controller import HealthController
from ebhxh.http.deps import DEPENDENCIES
from ebhxh.http.openapi import openapi_config, swagger_assets
from ebhxh.observability.logging import configure_logging
from ebhxh.observability.request_id import request_id_middleware
from ebhxh.organisation.controller import OrganisationController
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.plugins.manager import Plugins, load_plugins
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.signing.controller import SigningController
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.trust import TrustStore
from ebhxh.units.controller import ProvinceController, UnitController
from ebhxh.worker.redis import connect_lazily, locate_redis
from ebhxh.worker.settings import build_worker

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
ROUTES = [
    HealthController,
    OrganisationController,
    UnitController,
    ProvinceController,
    SigningController,
]


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Plugins | None = None,
    clock: Clock | None = None,
    with_worker: bool = False,
    configure_logs: bool = True,
) -> Litestar:
    """Build the app. `with_worker` also runs an arq worker in this process (`serve`)."""
    settings = settings or Settings.from_env()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_json)
    engine = build_engine(settings)
    bind_engine(engine)
    catalogue = PluginCatalogue.build(plugins or load_plugins(settings.plugins_allow))
    clock = clock or SystemClock()
    signing = SigningEnvironment(
        trust=TrustStore.from_folder(
            Path(settings.trust_store_dir) if settings.trust_store_dir else None
        ),
        secrets=SecretBox.from_settings(settings),
        clock=clock,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = locate_redis(settings)
        await open_engine(engine)
        pool = connect_lazily(redis.settings, settings.queue_name)
        app.state.redis_pool = pool
        worker_task: asyncio.Task[Any] | None = None
        worker = None
        if with_worker:
            worker = build_worker(redis.settings, settings.queue_name)
            worker_task = asyncio.create_task(worker.async_run())
        log.info("app_started", embedded=settings.embedded, worker=with_worker)
        try:
            yield
        finally:
            if worker is not None and worker_task is not None:
                await worker.close()
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
            await pool.aclose()
            await close_engine(engine)
            redis.close()

    return Litestar(
        route_handlers=[*ROUTES, swagger_assets()],
        dependencies=DEPENDENCIES,
        middleware=[
            request_id_middleware,
            DefineMiddleware(BearerTokenMiddleware, exclude=["^/docs", "^/static/"]),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "catalogue": catalogue,
                "clock": clock,
                "signing": signing,
                "version": __version__,
            }
        ),
        logging_config=None,
    )
