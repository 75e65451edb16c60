"""Request count and latency of the API, by route template, method and status.

A plain ASGI middleware in place of Litestar's Prometheus middleware, under the same
series names and labels (`ebhxh_requests_total`, `ebhxh_request_duration_seconds`,
`ebhxh_requests_in_progress`, `ebhxh_requests_error_total`; `method`, `path`, `status_code`,
`app_name`). Litestar's built a `Request` and four label dicts per call, which cost more
than the rest of a cached read (`bench.unit_list`); this one does the same bookkeeping on
the raw scope. It runs as route middleware, so `path` is the matched route's template
(`/dossiers/{dossier_id}`) and unmatched paths, answered by the router, are not counted.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from ebhxh.metrics.series import PREFIX

LABELS = ("method", "path", "status_code", "app_name")
NOT_COUNTED = ("/metrics",)  # scrapes would otherwise dominate the series

REQUESTS = Counter(f"{PREFIX}_requests", "API requests, by route template.", LABELS)
REQUEST_ERRORS = Counter(
    f"{PREFIX}_requests_error", "API requests answered with a 5xx, by route template.", LABELS
)
REQUEST_SECONDS = Histogram(
    f"{PREFIX}_request_duration_seconds",
    "API latency, until the last byte of the body was handed to the server.",
    LABELS,
)
IN_PROGRESS = Gauge(
    f"{PREFIX}_requests_in_progress",
    "API requests being answered.",
    ("method", "path", "app_name"),
)


def request_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap `app` so every matched HTTP request is counted and timed."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path_template") or scope["path"]
        if scope["type"] != ScopeType.HTTP or path.startswith(NOT_COUNTED):
            await app(scope, receive, send)
            return
        method = scope["method"]
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering
        ended = 0.0

        async def send_observed(message: Message) -> None:
            nonlocal status, ended
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not message.get("more_body", False):
                ended = time.perf_counter()
            await send(message)

        in_progress = IN_PROGRESS.labels(method, path, PREFIX)
        in_progress.inc()
        try:
            await app(scope, receive, send_observed)
        finally:
            in_progress.dec()
            labels = (method, path, str(status), PREFIX)
            if status >= 500:
                REQUEST_ERRORS.labels(*labels).inc()
            REQUESTS.labels(*labels).inc()
            REQUEST_SECONDS.labels(*labels).observe((ended or time.perf_counter()) - started)

    return middleware
