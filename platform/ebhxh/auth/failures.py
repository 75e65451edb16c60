"""A per-client limit on credentials that prove nobody, on every authenticated route.

Guessing a credential is hopeless (256 random bits); the limit is about cost. An unknown
API token or session cookie is never in a read cache, so each one costs database reads, and
a script retrying a revoked token in a loop, or a flood of made-up ones, would spend them
without end. Two defences, both before any database read:

- **Refused before**: each API process remembers, by hash, the credentials it refused in
  the last 10 minutes and refuses them again at once (401). A credential that proved nobody
  never proves someone later (tokens and sessions are random and end for good), so this
  never refuses a working one; a script looping on a revoked token costs nothing.
- **Too many different failures**: each credential refused the first time counts against
  its client address in Redis (`ebhxh.http.rate_limit.FAILED_CREDENTIALS`, shared by every
  API process). Past the limit, that client gets 429 `rate_limited` with `Retry-After` for
  the rest of the window for every credential except an API token its process already holds
  resolved: only a flood of made-up credentials gets there, so a colleague behind the same
  address is affected only while one is under way.

When Redis cannot count, a failure is still a 401 and still remembered; the warning is
logged at most once a minute per process.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from redis.exceptions import RedisError

from ebhxh.http.rate_limit import FAILED_CREDENTIALS, RateLimit, count_request

log = structlog.get_logger(__name__)

REMEMBERED_SECONDS = 600
"""How long a process refuses a credential it refused before without looking it up."""
MAX_REMEMBERED = 10_000
"""Entries per table of one process: beyond, the expired go first, then the oldest, so a
flood cannot grow the process."""
WARN_EVERY_SECONDS = 60


class FailedCredentials:
    """One API process's memory of refused credentials and blocked clients."""

    def __init__(self, limit: RateLimit = FAILED_CREDENTIALS) -> None:
        self.limit = limit
        self._refused_until: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}
        self._warned_at = 0.0

    def refused_before(self, credential_hash: str) -> bool:
        """Whether this process refused the credential (by hash) in the last 10 minutes."""
        return _left(self._refused_until, credential_hash) is not None

    def blocked_for(self, client: str) -> int | None:
        """Seconds `client` stays blocked, or None."""
        left = _left(self._blocked_until, client)
        return None if left is None else max(1, int(left + 0.999))

    async def record(
        self, connection: ASGIConnection[Any, Any, Any, Any], client: str, credential_hash: str
    ) -> int | None:
        """Count a refused credential of `client`: seconds it is now blocked for, or None."""
        now = time.time()
        _remember(self._refused_until, credential_hash, now + REMEMBERED_SECONDS)
        try:
            retry_after = await count_request(connection, self.limit, client)
        except (RedisError, OSError) as exc:
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("failed_credentials_uncounted", error=type(exc).__name__)
            return None
        if retry_after is not None:
            _remember(self._blocked_until, client, now + retry_after)
        return retry_after


def _left(table: dict[str, float], key: str) -> float | None:
    until = table.get(key)
    if until is None:
        return None
    left = until - time.time()
    if left <= 0:
        del table[key]
        return None
    return left


def _remember(table: dict[str, float], key: str, until: float) -> None:
    if len(table) >= MAX_REMEMBERED and key not in table:
        now = time.time()
        for other, other_until in list(table.items()):
            if other_until <= now:
                del table[other]
        while len(table) >= MAX_REMEMBERED:
            del table[next(iter(table))]
    table[key] = until
