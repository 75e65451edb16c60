"""Which tenants' data changed, and when, as this process knows it: what tells a read
cache whether a value it holds is still current.

A reader takes a mark *before* it reads the database and may cache what it read only if
the tenant has not changed since the mark; a cached value is kept with the tenant's
version and served only while that version holds. So a change that commits during a read
makes the result stale rather than leaving it cached. The mark needs no tenant: a token's
tenant is known only once the token is read.

Two sources record changes: writes through a `TenantScope` in this process, as they happen
(so a client reads its own writes), and the change feed (`ebhxh.db.change_feed`), for
writes committed by any process. The counters are per process, like the caches they guard.
"""

from __future__ import annotations

import uuid

Mark = tuple[int, int]
"""(epoch, sequence) when a read began."""

Version = tuple[int, int]
"""(epoch, the sequence number of the tenant's last change)."""


class Generations:
    """A sequence of changes, each tenant's last one, and an epoch that, when advanced,
    stales every tenant at once.
    """

    def __init__(self) -> None:
        self._epoch = 0
        self._sequence = 0
        self._last_change: dict[uuid.UUID, int] = {}

    def mark(self) -> Mark:
        return self._epoch, self._sequence

    def version(self, tenant_id: uuid.UUID) -> Version:
        return self._epoch, self._last_change.get(tenant_id, 0)

    def changed_since(self, tenant_id: uuid.UUID, mark: Mark) -> bool:
        epoch, sequence = mark
        return epoch != self._epoch or self._last_change.get(tenant_id, 0) > sequence

    def touch(self, tenant_id: uuid.UUID) -> None:
        """The tenant's data changed (or may have)."""
        self._sequence += 1
        self._last_change[tenant_id] = self._sequence

    def touch_all(self) -> None:
        """Any tenant's data may have changed unseen (the change feed lost its connection)."""
        self._epoch += 1


GENERATIONS = Generations()
"""The process's counters (each cache checks its entries against them)."""
