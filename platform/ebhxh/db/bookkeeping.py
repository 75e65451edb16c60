"""Bookkeeping writes a crash may lose without harm (when a token or a session was last
used): their transaction commits without waiting for the write-ahead log to reach the disk,
so the request that makes them does not wait for an fsync. PostgreSQL only; the data a
lost write would have recorded is a time stamp that the next use writes again.
"""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table


async def commit_without_waiting(table: type[Table]) -> None:
    """Inside the current transaction: do not wait for the disk at its commit."""
    if isinstance(table._meta.db, PostgresEngine):
        await table.raw("SET LOCAL synchronous_commit TO OFF")
