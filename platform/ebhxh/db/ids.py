"""Ids read back from rows: PostgreSQL gives `uuid.UUID`s, SQLite strings."""

from __future__ import annotations

import uuid


def as_uuid(value: object) -> uuid.UUID:
    """A UUID from a row's id column, whichever database it came from."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
