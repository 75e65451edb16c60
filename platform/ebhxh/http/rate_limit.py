"""Per-client rate limits for the routes that mint or check credentials (device pairing,
and sign-in routes), as a Litestar guard: `guards=[rate_limited(PAIRING)]`.

A fixed window counted in Redis (one INCR and EXPIRE per request, atomic in a pipeline), so
every API process shares the count. The client is the connection's peer address: behind a
reverse proxy, run uvicorn with `--proxy-headers --forwarded-allow-ips=<proxy>` so that it
is the caller's, not the proxy's. Over the limit the answer is 429 `rate_limited` with
`Retry-After`; when Redis cannot count, 503 (refusing is safer than an unlimited guess).
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec
import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard
from redis.exceptions import RedisError

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.worker import keys

log = structlog.get_logger(__name__)


class RateLimit(msgspec.Struct, frozen=True, kw_only=True):
    """At most `requests` per client in each `window_seconds`."""

    name: str
    requests: int
    window_seconds: int


PAIRING = RateLimit(name="device-pairing", requests=10, window_seconds=60)
"""Exchanging a pairing code for a device credential: guessing codes is the attack."""
PAIRING_CODES = RateLimit(name="pairing-codes", requests=10, window_seconds=60)
"""Minting pairing codes."""
SIGN_IN = RateLimit(name="sign-in", requests=20, window_seconds=60)
"""Sign-in routes (login and its callback)."""


def rate_limited(limit: RateLimit) -> Guard:
    """A guard that refuses a client's requests past `limit` with 429."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        now = time.time()
        window = int(now // limit.window_seconds)
        client = connection.client.host if connection.client else "unknown"
        settings = connection.app.state.settings
        key = keys.rate_limit(settings.queue_name, limit.name, client, window)
        try:
            async with connection.app.state.redis_pool.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, limit.window_seconds + 1)
                count, _expired = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate_limit_unavailable", limit=limit.name, error=type(exc).__name__)
            raise ProblemError(ErrorCode.SERVICE_UNAVAILABLE, status=503) from exc
        if int(count) > limit.requests:
            retry_after = max(1, math.ceil((window + 1) * limit.window_seconds - now))
            log.info("rate_limited", limit=limit.name, client=client)
            raise ProblemError(
                ErrorCode.RATE_LIMITED,
                status=429,
                params={"retry_after": retry_after},
                headers={"Retry-After": str(retry_after)},
            )

    return guard
