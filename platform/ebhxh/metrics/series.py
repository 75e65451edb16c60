"""Every Prometheus series of the platform's jobs, VSS calls and scrape-time counts (the
request series are defined with their middleware, `ebhxh.metrics.requests`).

Labels never carry tenant data beyond a tenant id: no names, tax codes or dossier ids.
Series live in prometheus_client's default registry; each process (an API pod, a worker
pod) serves its own.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "ebhxh"

JOB_RUNS = Counter(
    f"{PREFIX}_jobs",
    "arq jobs run by this worker, by job and outcome (success, failed, retried, cancelled: "
    "a timeout or a shutdown that could not wait).",
    ["job_name", "outcome"],
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "How long arq jobs ran, by job.",
    ["job_name"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
VSS_CALLS = Counter(
    f"{PREFIX}_vss_calls",
    "Calls to the VSS gateway (after retries), by operation and outcome (ok; refused: VSS "
    "said no; unavailable: no usable answer).",
    ["operation", "outcome"],
)
VSS_SECONDS = Histogram(
    f"{PREFIX}_vss_call_duration_seconds",
    "How long calls to the VSS gateway took, retries included, by operation.",
    ["operation"],
)
DOSSIERS = Gauge(
    f"{PREFIX}_dossiers",
    "Dossiers by tenant and state, counted when /metrics is scraped.",
    ["tenant_id", "state"],
)
QUEUE_DEPTH = Gauge(
    f"{PREFIX}_queue_depth",
    "Jobs waiting in the arq queue (its Redis sorted set), read when /metrics is scraped.",
    ["queue"],
)
SCRAPE_ERRORS = Counter(
    f"{PREFIX}_metrics_refresh_errors",
    "Failures to refresh a scrape-time series (dossiers, queue_depth); the last values stay.",
    ["series"],
)
