"""The system side of employee syncs: find, across tenants, the running syncs nobody holds.

A sync is held by the worker that claimed it until its lease passes; a sync whose lease has
passed (its worker was killed, or VSS did not answer and it waits for its retry time) or
that no worker ever claimed (Redis lost the job) is handed to the reconciliation cron,
which enqueues it again. Everything else is done in the sync's tenant scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ebhxh.db.binding import system_access
from ebhxh.employees.tables import EmployeeSync, SyncState


async def stalled_syncs(now: dt.datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Running syncs whose lease passed or that were never claimed (id, tenant, attempts)."""
    with system_access():
        rows: list[dict[str, Any]] = await (
            EmployeeSync.select(EmployeeSync.id, EmployeeSync.tenant, EmployeeSync.attempts)
            .where(
                EmployeeSync.state == SyncState.RUNNING.value,
                EmployeeSync.lease_until.is_null() | (EmployeeSync.lease_until <= now),
            )
            .order_by(EmployeeSync.started_at)
            .limit(limit)
        )
        return rows
