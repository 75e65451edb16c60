"""Recognise database errors: "someone else wrote this first" on either backend, and "the
database is not there right now" (restarting, unreachable) on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

import asyncpg


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint violation from PostgreSQL or SQLite."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def is_conflict(exc: BaseException) -> bool:
    """True when a concurrent write collided: a unique or foreign-key violation."""
    if is_unique_violation(exc) or isinstance(exc, asyncpg.ForeignKeyViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "FOREIGN KEY" in str(exc)


UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted: the server is down or went away
    asyncpg.PostgresConnectionError,  # the connection failed or closed mid-operation
    asyncpg.CannotConnectNowError,  # starting up, shutting down, recovering after a crash
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""Exceptions meaning the database cannot answer now (a retry later may succeed).

A builtin `ConnectionError` reaching the API is the database's: Redis and HTTP clients
raise their own classes.
"""


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is unreachable or restarting, not that a query is
    wrong. A connection lost in the middle of a transaction surfaces as the failed ROLLBACK
    that followed it (an asyncpg `InterfaceError`): for that one, the error it was raised
    while handling decides.
    """
    if _says_unavailable(exc):
        return True
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return (
        isinstance(exc, asyncpg.InterfaceError) and cause is not None and (_says_unavailable(cause))
    )


def _says_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    # asyncpg raises InterfaceError for a pooled connection it already knows is closed.
    return isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)
