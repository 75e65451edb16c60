"""Build the Piccolo engine the settings ask for and bind every table to it.

Tables are bound explicitly (rather than through Piccolo's `piccolo_conf` lookup) so one
process can hold an app per database, which the tests do to exercise both backends.
"""

from __future__ import annotations

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from ebhxh.db.registry import ALL_TABLES
from ebhxh.settings import Settings

SQLITE_FILE = "ebhxh.sqlite3"


def build_engine(settings: Settings) -> Engine:  # type: ignore[type-arg]
    """PostgreSQL when `database_url` is set, else the embedded SQLite file."""
    if settings.database_url:
        return PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
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
        await engine.start_connection_pool(min_size=0, max_size=10)


async def close_engine(engine: Engine) -> None:  # type: ignore[type-arg]
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
