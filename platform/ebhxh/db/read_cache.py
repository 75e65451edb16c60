"""A small in-process cache of tenant data, trusted only while the change feed listens.

A reader takes `mark()` before it reads the database and `put`s what it read with that
mark; the value is kept only if its tenant has not changed since (see
`ebhxh.db.generations`), and served only while the tenant's version is unchanged, the entry
has not expired and the feed listens. Entries are bounded in number; the oldest goes first.
No I/O here: callers read the database on a miss.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

from ebhxh.db.generations import GENERATIONS, Generations, Mark, Version

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Entry(NamedTuple, Generic[V]):
    tenant_id: uuid.UUID
    version: Version
    expires: float
    value: V


class ReadCache(Generic[K, V]):
    """Values of `K` -> `V`, each belonging to one tenant."""

    def __init__(
        self,
        *,
        listening: Callable[[], bool],
        ttl_seconds: float,
        max_entries: int,
        generations: Generations = GENERATIONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._listening = listening
        self._ttl = ttl_seconds
        self._max = max_entries
        self._generations = generations
        self._monotonic = monotonic
        self._entries: dict[K, _Entry[V]] = {}

    def mark(self) -> Mark | None:
        """Take before reading what will be `put`; None while caching is off."""
        return self._generations.mark() if self._listening() else None

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            not self._listening()
            or entry.version != self._generations.version(entry.tenant_id)
            or entry.expires <= self._monotonic()
        ):
            self._entries.pop(key, None)
            return None
        return entry.value

    def put(self, key: K, tenant_id: uuid.UUID, mark: Mark | None, value: V) -> None:
        """Keep `value` of `tenant_id`, read after `mark()` returned `mark`."""
        if (
            mark is None
            or not self._listening()
            or self._generations.changed_since(tenant_id, mark)
        ):
            return  # caching was off, or the tenant's data changed while it was read
        self._entries.pop(key, None)
        while len(self._entries) >= self._max:
            del self._entries[next(iter(self._entries))]
        version = self._generations.version(tenant_id)
        self._entries[key] = _Entry(tenant_id, version, self._monotonic() + self._ttl, value)

    def __len__(self) -> int:
        return len(self._entries)
