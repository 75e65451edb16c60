"""A per-client limit on bearer credentials that prove nobody, on every authenticated route.

Guessing a token is hopeless (256 random bits); the limit is about cost. An unknown token is
never in the read cache, so each one costs database reads, and a script retrying a revoked
token in a loop, or a flood of made-up ones, would spend them without end. Failures are
counted per client address in Redis (`ebhxh.http.rate_limit.FAILED_CREDENTIALS`, shared by
every API process). Past the limit the failure that crossed it, and every later request of
that client whose token this process has not already resolved, get 429 `rate_limited` with
`Retry-After` until the window ends, before any database read. A token served from the read
cache still works: a colleague behind the same address is not locked out by someone else's
broken script. Session cookies are not counted: an expired cookie is an everyday event of
browsers, not an attack.

When Redis cannot count, a failure is still a 401 (nothing is let through) and is logged.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from redis.exceptions import RedisError

from ebhxh.http.rate_limit import FAILED_CREDENTIALS, RateLimit, count_request

log = structlog.get_logger(__name__)

MAX_BLOCKED = 10_000
"""Clients remembered as blocked by one process; beyond, expired entries are dropped first
and then the oldest, so a flood from many addresses cannot grow the process."""


class FailedCredentials:
    """One API process's view of which clients are over the limit, and the counting."""

    def __init__(self, limit: RateLimit = FAILED_CREDENTIALS) -> None:
        self.limit = limit
        self._blocked_until: dict[str, float] = {}

    def blocked_for(self, client: str) -> int | None:
        """Seconds `client` stays blocked, or None."""
        until = self._blocked_until.get(client)
        if until is None:
            return None
        left = until - time.time()
        if left <= 0:
            del self._blocked_until[client]
            return None
        return max(1, int(left + 0.999))

    async def record(
        self, connection: ASGIConnection[Any, Any, Any, Any], client: str
    ) -> int | None:
        """Count a failed credential of `client`: seconds it is now blocked for, or None."""
        try:
            retry_after = await count_request(connection, self.limit, client)
        except (RedisError, OSError) as exc:
            log.warning("failed_credentials_uncounted", error=type(exc).__name__)
            return None
        if retry_after is not None:
            self._remember(client, time.time() + retry_after)
        return retry_after

    def _remember(self, client: str, until: float) -> None:
        if len(self._blocked_until) >= MAX_BLOCKED:
            now = time.time()
            for other, other_until in list(self._blocked_until.items()):
                if other_until <= now:
                    del self._blocked_until[other]
            while len(self._blocked_until) >= MAX_BLOCKED:
                del self._blocked_until[next(iter(self._blocked_until))]
        self._blocked_until[client] = until
