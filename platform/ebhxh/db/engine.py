"""Build the Piccolo engine the settings ask for and bind every table to it.

Tables are bound explicitly (rather than through Piccolo's `piccolo_conf` lookup) so one
process can hold an app per database, which the tests do to exercise both backends.

On PostgreSQL the engine binds each transaction to the tenant (or the system) of the work
that opens it (`ebhxh.db.binding`), which the row-security policies read: a query run while
bound and outside a transaction gets a short transaction of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from ebhxh.db.binding import Binding, BindingMismatch, begin_statement, current_binding
from ebhxh.db.registry import ALL_TABLES
from ebhxh.settings import Settings

SQLITE_FILE = "ebhxh.sqlite3"


class BoundTransaction(PostgresTransaction):
    """A transaction that starts with the binding of the work that opened it."""

    __slots__ = ("binding",)

    def __init__(self, engine: PostgresEngine, allow_nested: bool = True) -> None:
        super().__init__(engine, allow_nested)
        self.binding: Binding = current_binding()

    async def begin(self) -> None:
        # BEGIN and set_config in one round trip; COMMIT/ROLLBACK as plain statements to
        # match (asyncpg's own Transaction object is left unused).
        await self.connection.execute(begin_statement(self.binding))

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True


class RowSecurityEngine(PostgresEngine):
    """PostgreSQL whose queries run bound to the tenant (or system) of the current work."""

    def transaction(self, allow_nested: bool = True) -> BoundTransaction:
        return BoundTransaction(engine=self, allow_nested=allow_nested)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        binding = current_binding()
        current = self.current_transaction.get()
        if current is not None:
            held = getattr(current, "binding", None)
            if held != binding:
                raise BindingMismatch(f"work bound to {binding} inside a transaction of {held}")
            return await super().run_querystring(querystring, in_pool)
        if binding is None:
            return await super().run_querystring(querystring, in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        async with self._connection() as connection:
            # Three round trips: BEGIN + set_config, the query, COMMIT. Not through Piccolo's
            # transaction, which keeps a connection it failed to roll back (a cancelled
            # query); the pool's acquire releases or terminates it whatever happens.
            await connection.execute(begin_statement(binding))
            try:
                rows = await connection.fetch(query, *args)
            except BaseException:
                with contextlib.suppress(Exception):  # else the pool's reset rolls back
                    await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")
            return rows

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        if self.pool:
            async with self.pool.acquire() as connection:
                yield connection
            return
        connection = await self.get_new_connection()
        try:
            yield connection
        finally:
            await connection.close()


async def roll_back_only(connection: Any) -> None:
    """The pool's reset of a connection it takes back: nothing beyond what asyncpg always
    does first (roll back a transaction left open, forget its Python listener callbacks).

    asyncpg's default reset also runs `RESET ALL; CLOSE ALL; UNLISTEN *;
    pg_advisory_unlock_all()`, a round trip at every release: a statement outside a
    transaction (three round trips) paid a fourth. A pooled connection here carries no
    session state for it to clear: the tenant binding and every setting are
    transaction-local (`set_config(..., true)`, `SET LOCAL`), LISTEN runs on the change
    feed's own connection, and no advisory lock is taken.
    """


POOL_OPTIONS: dict[str, Any] = {"reset": roll_back_only}


def build_engine(settings: Settings, url: str | None = None) -> Engine:  # type: ignore[type-arg]
    """PostgreSQL when `database_url` is set, else the embedded SQLite file.

    `url` overrides the address (migrations connect as the owner role).
    """
    if settings.database_url:
        dsn = url or settings.database_url
        return RowSecurityEngine(config={"dsn": dsn}, log_queries=False)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(path=str(settings.data_path / SQLITE_FILE))


def bind_engine(engine: Engine) -> None:  # type: ignore[type-arg]
    """Make every platform table (and Piccolo's migration table) use `engine`."""
    tables: tuple[type[Table], ...] = (*ALL_TABLES, Migration)
    for table in tables:
        table._meta.db = engine


async def open_engine(engine: Engine) -> None:  # type: ignore[type-arg]
    """Start the connection pool where the engine has one."""
    if isinstance(engine, PostgresEngine):
        # min_size=0: no connection at start, so the API starts (and answers /ready with
        # 503) while the database is down, then recovers without a restart.
        await engine.start_connection_pool(min_size=0, max_size=10, **POOL_OPTIONS)


async def close_engine(engine: Engine) -> None:  # type: ignore[type-arg]
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
