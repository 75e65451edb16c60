"""Values read back from rows: ids (PostgreSQL gives `uuid.UUID`s, SQLite strings) and
times (SQLite may give them without their time zone, which is always UTC here).
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


def as_uuid(value: object) -> uuid.UUID:
    """A UUID from a row's id column, whichever database it came from."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_aware(value: dt.datetime) -> dt.datetime:
    """A stored time with its time zone (UTC when the database dropped it)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def json_bytes(value: object) -> bytes:
    """A JSON column's value as bytes for `msgspec.json.decode` (the drivers give text; a
    value Piccolo already decoded is encoded back).
    """
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    return msgspec.json.encode(value)
