"""The worker's metrics port: prometheus_client's own HTTP server in a thread.

The worker is a process of its own, so its job series are not in the API's `/metrics`;
each worker pod serves them on `worker_metrics_port` (chosen over prometheus_client's
multiprocess mode, which needs a shared folder and cannot span pods anyway).
"""

from __future__ import annotations

from typing import Any

import structlog
from prometheus_client import start_http_server

from ebhxh.settings import Settings

log = structlog.get_logger(__name__)


def serve_worker_metrics(settings: Settings) -> Any | None:
    """Start serving when a port is configured; the server (to shut down), or None."""
    if not settings.worker_metrics_port:
        return None
    server, _thread = start_http_server(
        settings.worker_metrics_port, addr=settings.worker_metrics_host
    )
    log.info(
        "worker_metrics_serving",
        host=settings.worker_metrics_host,
        port=settings.worker_metrics_port,
    )
    return server
