"""Tenant data changes as they commit, from PostgreSQL LISTEN/NOTIFY, for the read caches.

Triggers (migration 0018) send `<table>:<tenant id>` on the channel `ebhxh_changes` for
every row written to a table a cache reads. PostgreSQL delivers a notification when its
transaction commits, to every listening connection of every process. Each API process
listens on one connection of its own and advances the tenant's generation
(`ebhxh.db.generations`), which stales everything cached for that tenant.

A notification sent while the connection is down is lost. Losing the connection therefore
advances the epoch (everything cached goes stale), and the caches stay off until the
connection is back and listening again. A ping every few seconds finds a connection that
died silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import asyncpg
import structlog

from ebhxh.db.generations import GENERATIONS, Generations

log = structlog.get_logger(__name__)

CHANNEL = "ebhxh_changes"
APPLICATION_NAME = "ebhxh-change-feed"  # how operators find it in pg_stat_activity
PING_SECONDS = 5.0
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class ChangeFeed:
    """One process's listening connection and what it does with each notification."""

    def __init__(self, dsn: str, generations: Generations = GENERATIONS) -> None:
        self._dsn = dsn
        self._generations = generations
        self._connection: Any = None
        self._listening = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        """Whether every change committed from now on will be seen."""
        return self._listening.is_set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ebhxh-change-feed")

    async def stop(self) -> None:
        self._listening.clear()
        self._generations.touch_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()

    async def listening_within(self, seconds: float) -> bool:
        """Wait (up to `seconds`) until the feed listens; whether it does."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), seconds)
        return self.listening

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
                failures = 0
                while await self._alive():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lost.wait(), PING_SECONDS)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("change_feed_unavailable", error=type(exc).__name__)
            self._forget()
            await self._close()
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1

    async def _listen(self) -> None:
        self._lost.clear()
        async with asyncio.timeout(10):
            self._connection = await asyncpg.connect(
                self._dsn, server_settings={"application_name": APPLICATION_NAME}
            )
            self._connection.add_termination_listener(lambda _connection: self._forget())
            await self._connection.add_listener(CHANNEL, self._notified)
        # Anything cached before now may have missed a change while nobody listened.
        self._generations.touch_all()
        self._listening.set()
        log.info("change_feed_listening")

    async def _alive(self) -> bool:
        connection = self._connection
        if connection is None or connection.is_closed() or self._lost.is_set():
            return False
        async with asyncio.timeout(PING_SECONDS):
            await connection.execute("SELECT 1")
        return True

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        _table, _, tenant = payload.partition(":")
        try:
            self._generations.touch(uuid.UUID(tenant))
        except ValueError:  # a TRUNCATE (no tenant): every tenant may have changed
            self._generations.touch_all()

    def _forget(self) -> None:
        """The connection is gone or going: nothing cached can be trusted from here on."""
        if self._listening.is_set():
            log.warning("change_feed_lost")
        self._listening.clear()
        self._lost.set()
        self._generations.touch_all()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)
