"""Per-client rate limits for the routes that mint or check credentials (device pairing,
and sign-in routes), as a Litestar guard: `guards=[rate_limited(PAIRING)]`; and the
counting that `ebhxh.auth.failures` shares for failed credentials on every route.

A fixed window counted in Redis (one INCR and EXPIRE per request, atomic in a pipeline), so
every API process shares the count. The client is the connection's peer address (an IPv6
address counts with the rest of its /64): behind a reverse proxy, run uvicorn with
`--proxy-headers --forwarded-allow-ips=<proxy>` so that it is the caller's, not the
proxy's. Over the limit the answer is 429 `rate_limited` with
`Retry-After`; when Redis cannot count, 503 (refusing is safer than an unlimited guess).
"""

from __future__ import annotations

import ipaddress
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
FAILED_CREDENTIALS = RateLimit(name="failed-credentials", requests=120, window_seconds=60)
"""Different bearer credentials and session cookies that prove nobody, on any route (see
`ebhxh.auth.failures`)."""


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """What a limit counts by (see the module docstring about proxies): the peer's address,
    or for IPv6 its /64, which one subscriber commonly holds whole.
    """
    return client_key(connection.client.host if connection.client else "unknown")


def client_key(host: str) -> str:
    """`host` itself, or the /64 network of an IPv6 address (not IPv4-mapped)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


async def count_request(
    connection: ASGIConnection[Any, Any, Any, Any], limit: RateLimit, client: str
) -> int | None:
    """Count one request of `client` against `limit`: None while within it, else the
    seconds until its window ends. Raises RedisError or OSError when Redis cannot count.
    """
    now = time.time()
    window = int(now // limit.window_seconds)
    key = keys.rate_limit(connection.app.state.settings.queue_name, limit.name, client, window)
    async with connection.app.state.redis_pool.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, limit.window_seconds + 1)
        count, _expired = await pipe.execute()
    if int(count) <= limit.requests:
        return None
    log.info("rate_limited", limit=limit.name, client=client)
    return max(1, math.ceil((window + 1) * limit.window_seconds - now))


def too_many(retry_after: int) -> ProblemError:
    """The 429 answer, with `Retry-After`."""
    return ProblemError(
        ErrorCode.RATE_LIMITED,
        status=429,
        params={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def rate_limited(limit: RateLimit) -> Guard:
    """A guard that refuses a client's requests past `limit` with 429."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        try:
            retry_after = await count_request(connection, limit, client_of(connection))
        except (RedisError, OSError) as exc:
            log.warning("rate_limit_unavailable", limit=limit.name, error=type(exc).__name__)
            raise ProblemError(ErrorCode.SERVICE_UNAVAILABLE, status=503) from exc
        if retry_after is not None:
            raise too_many(retry_after)

    return guard
