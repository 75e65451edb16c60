"""The Litestar application factory: settings -> runtime (database, plugins, signing, VSS
gateway), Redis, routes, and, on the embedded default, the VSS sandbox mounted at /vss and
the development identity provider at /dev-idp.

`create_app()` with no arguments runs on the environment's settings (the embedded default
when there are none). Tests pass their own settings, plugins, clock and gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from litestar import Litestar, asgi
from litestar.datastructures import State
from litestar.handlers import ASGIRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from ebhxh import __version__
from ebhxh.auth.failures import FailedCredentials
from ebhxh.auth.middleware import BearerTokenMiddleware
from ebhxh.clock import Clock
from ebhxh.db.engine import close_engine, open_engine
from ebhxh.dev_idp import MOUNT_PATH as DEV_IDP_PATH
from ebhxh.dev_idp.app import create_dev_idp_app
from ebhxh.devices.controller import DeviceAgentController, DeviceController
from ebhxh.dossiers.controller import DossierController
from ebhxh.employees.controller import EmployeeController
from ebhxh.errors.handlers import EXCEPTION_HANDLERS
from ebhxh.gateway.contract import VssGateway
from ebhxh.health.controller import HealthController
from ebhxh.http.deps import DEPENDENCIES
from ebhxh.http.limits import JSON_BODY
from ebhxh.http.openapi import document_problems, openapi_config, swagger_assets
from ebhxh.metrics.controller import MetricsController
from ebhxh.metrics.requests import request_metrics_middleware
from ebhxh.observability.logging import configure_logging
from ebhxh.observability.request_id import request_id_middleware
from ebhxh.operators.audit import operator_audit_middleware
from ebhxh.operators.controller import OperatorController, SupportAccessController
from ebhxh.organisation.controller import OrganisationController
from ebhxh.paper_route.controller import PaperRouteController
from ebhxh.plugins.manager import Plugins
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.signing.controller import SigningController
from ebhxh.sso.controller import AuthController, IdentityProviderController
from ebhxh.sso.oidc import OidcClient
from ebhxh.switching.controller import SwitchController
from ebhxh.units.controller import ProvinceController, UnitController
from ebhxh.vss_sandbox.app import close_sandbox, create_sandbox_app, start_sandbox
from ebhxh.vss_sandbox.settings import SandboxSettings
from ebhxh.worker.redis import connect_lazily, locate_redis
from ebhxh.worker.resilient import run_replacing_on_redis_loss
from ebhxh.worker.settings import build_worker

log = structlog.get_logger(__name__)

SANDBOX_PATH = "/vss"
ROUTES = [
    HealthController,
    MetricsController,
    OrganisationController,
    UnitController,
    ProvinceController,
    SigningController,
    DossierController,
    SwitchController,
    PaperRouteController,
    EmployeeController,
    DeviceController,
    DeviceAgentController,
    AuthController,
    IdentityProviderController,
    OperatorController,
    SupportAccessController,
]


def sandbox_settings(settings: Settings) -> SandboxSettings:
    """The mounted sandbox's settings, derived from the platform's."""
    return SandboxSettings(
        database_path=str(settings.data_path / "vss-sandbox.sqlite3"),
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        trust_store_dir=settings.trust_store_dir,
        validators=settings.sandbox_validators,
    )


def _mount(path: str, inner: ASGIApp) -> ASGIRouteHandler:
    """`inner` served under `path`, outside bearer-token auth and the OpenAPI schema."""

    async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
        await inner(scope, receive, send)

    return asgi(
        path,
        is_mount=True,
        copy_scope=True,
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        name=f"mount:{path}",
    )(mounted)


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Plugins | None = None,
    clock: Clock | None = None,
    gateway: VssGateway | None = None,
    with_worker: bool = False,
    mount_sandbox: bool | None = None,
    configure_logs: bool = True,
) -> Litestar:
    """Build the app. `with_worker` also runs an arq worker in this process (`serve`);
    `mount_sandbox` (default: on the embedded default without a `vss_url`) serves the VSS
    sandbox at /vss.
    """
    settings = settings or Settings.from_env()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_json, file=settings.log_file)
    runtime = Runtime(settings, plugins=plugins, clock=clock, gateway=gateway)
    # The sandbox's officer desk and fault knobs have no authentication: mount it only for
    # the single-user embedded default, never beside a production database.
    default_mount = settings.vss_url is None and settings.embedded
    mount = default_mount if mount_sandbox is None else mount_sandbox
    handlers: list[Any] = [*ROUTES, *runtime.catalogue.route_handlers(), swagger_assets()]
    sandbox = create_sandbox_app(sandbox_settings(settings), runtime.clock) if mount else None
    if sandbox is not None:
        handlers.append(_mount(SANDBOX_PATH, sandbox))
    if settings.dev_idp_enabled:
        # Demo users with a published password: on for the embedded default or by setting.
        handlers.append(_mount(DEV_IDP_PATH, create_dev_idp_app(settings)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = locate_redis(settings)
        await open_engine(runtime.engine)
        if runtime.changes is not None:
            runtime.changes.start()
        if sandbox is not None:
            await start_sandbox(sandbox)
        pool = connect_lazily(redis.settings, settings.queue_name)
        app.state.redis_pool = pool
        worker_task: asyncio.Task[Any] | None = None
        if with_worker:
            worker_task = asyncio.create_task(
                run_replacing_on_redis_loss(
                    lambda: build_worker(runtime, redis.settings, settings.queue_name)
                )
            )
        log.info(
            "app_started",
            embedded=settings.embedded,
            worker=with_worker,
            sandbox=mount,
            dev_idp=settings.dev_idp_enabled,
        )
        try:
            yield
        finally:
            if worker_task is not None:
                # Cancelling stops arq's loop and its jobs; the loop's owner then closes the
                # worker (one closer: two at once leak a Redis connection).
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
            await pool.aclose()
            await runtime.aclose()
            if runtime.changes is not None:
                await runtime.changes.stop()
            await close_engine(runtime.engine)
            if sandbox is not None:
                await close_sandbox(sandbox)
            redis.close()

    app = Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        middleware=[
            request_id_middleware,
            request_metrics_middleware,  # before auth: refused requests are counted too
            DefineMiddleware(
                BearerTokenMiddleware, exclude=["^/docs", "^/static/", "^/vss", "^/dev-idp"]
            ),
            operator_audit_middleware,  # inside auth: it needs the caller
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        request_max_body_size=JSON_BODY,
        state=State(
            {
                "settings": settings,
                "runtime": runtime,
                "engine": runtime.engine,
                "catalogue": runtime.catalogue,
                "clock": runtime.clock,
                "signing": runtime.signing,
                "version": __version__,
                "oidc": OidcClient(settings.sso_http_timeout_seconds),
                "failed_credentials": FailedCredentials(),
            }
        ),
        logging_config=None,
    )
    document_problems(app)
    return app
