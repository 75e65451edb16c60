"""What a plugin adds to the arq worker (hook `ebhxh_worker_jobs`).

Job functions take arq's `ctx` first. The platform puts in `ctx`: `runtime` (the
`ebhxh.runtime.Runtime`: settings, clock, `signatures` to settle deferred signing),
`tenant_scope` (a factory `TenantScope(tenant_id)`, the only way to tenant data),
`enqueue` (queues an outbox row's first run), `clock` and arq's `redis`. Name job functions
after the plugin (`csc_poll`, not `poll`): names share one namespace with the platform's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from arq.cron import CronJob


@dataclass(frozen=True)
class WorkerJobs:
    """Job functions (coroutines or `arq.func(...)`) and crons (`arq.cron(...)`)."""

    functions: Sequence[Any] = field(default_factory=tuple)
    cron_jobs: Sequence[CronJob] = field(default_factory=tuple)
