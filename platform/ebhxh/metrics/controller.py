"""`/metrics`: the API process's series in Prometheus text format, without authentication.

Request count and latency come from `ebhxh.metrics.requests`, labelled with the
route template (`/dossiers/{dossier_id}`), never the raw path, and unmatched paths are
left out so a scanner cannot blow up the label set. Dossiers by state and the queue depth
are read from the database and Redis when Prometheus scrapes.

The endpoint shares the API's port, so a NetworkPolicy cannot fence it off alone: it
answers 404 to anything that came through a proxy (a `Forwarded` or `X-Forwarded-For`
header, which ingress controllers add) or from an address outside `metrics_networks`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from ebhxh.metrics.dossier_counts import dossiers_by_state
from ebhxh.metrics.series import DOSSIERS, QUEUE_DEPTH, SCRAPE_ERRORS
from ebhxh.worker.keys import queue_key

log = structlog.get_logger(__name__)

REFRESH_TIMEOUT_SECONDS = 5.0
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


class MetricsController(Controller):
    """Prometheus scrape endpoint."""

    path = "/metrics"
    tags = ["Operations"]
    opt = {"exclude_from_auth": True}

    @get(
        operation_id="metrics",
        summary="Prometheus metrics (cluster-internal scrapers only)",
        media_type=CONTENT_TYPE_LATEST,
    )
    async def metrics(self, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
        if not _from_inside(request, state.settings.metrics_networks):
            raise NotFoundException()
        await _refresh("dossiers", _refresh_dossiers)
        await _refresh("queue_depth", lambda: _refresh_queue(state))
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _from_inside(request: Request[Any, Any, Any], networks: tuple[str, ...]) -> bool:
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # no peer address (a unix socket, a test client): not trusted
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


async def _refresh(series: str, work: Callable[[], Awaitable[None]]) -> None:
    """Refresh one scrape-time series; a failure keeps its last values and is counted."""
    try:
        await asyncio.wait_for(work(), REFRESH_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a scrape must still answer
        SCRAPE_ERRORS.labels(series).inc()
        log.warning("metrics_refresh_failed", series=series, error_type=type(exc).__name__)


async def _refresh_dossiers() -> None:
    counts = await dossiers_by_state()
    DOSSIERS.clear()  # a tenant whose dossiers all moved on must not keep its old count
    for tenant_id, dossier_state, count in counts:
        DOSSIERS.labels(tenant_id, dossier_state).set(count)


async def _refresh_queue(state: State) -> None:
    queue = state.settings.queue_name
    QUEUE_DEPTH.labels(queue).set(await state.redis_pool.zcard(queue_key(queue)))
