"""Recognise database errors that mean "someone else wrote this first" on either backend."""

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
