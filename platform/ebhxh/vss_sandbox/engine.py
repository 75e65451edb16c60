"""The sandbox's SQLite engine: Piccolo's, on one connection kept open.

Piccolo's SQLite engine opens a connection for every statement run outside a transaction,
and aiosqlite starts a thread for each: about 1 ms of CPU per statement, several per
submitted dossier, which made the sandbox's bookkeeping cost as much as validating the
signature. Here every such statement runs on one connection, on the caller's thread: a
statement on this small database takes tens of microseconds, less than handing it to a
thread would. The file is in WAL mode, so another process (a test, the proof harness)
reads it while the sandbox writes, and a commit does not wait for the disk: the sandbox's
data is test data, and a power cut may lose its last transactions, never corrupt it.

Transactions (`engine.transaction()`) keep Piccolo's own connection per transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table


class SandboxSQLiteEngine(SQLiteEngine):
    """`SQLiteEngine` whose statements outside a transaction share one open connection."""

    __slots__ = ("_connection", "_lock")

    def __init__(self, path: str) -> None:
        super().__init__(path=path)
        self._connection: sqlite3.Connection | None = None
        # The app may be served from another thread than the one that built it (tests run
        # uvicorn in a thread) and a test may read the tables meanwhile: one statement at a
        # time on the shared connection.
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
            connection.row_factory = dict_factory
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = 1")
            self._connection = connection
        return self._connection

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> list[dict[str, Any]]:
        """Piccolo's hook for a statement outside a transaction (its connection is in
        autocommit mode, so the statement is committed once its rows are read).
        """
        if self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's own way reads the key
            return await super()._run_in_new_connection(query, args, query_type, table)  # type: ignore[no-any-return]
        return self._execute(query, args or [])

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """A statement written by hand (`?` parameters), on the shared connection like
        Piccolo's: values are adapted and read back by the converters Piccolo registers
        with sqlite3, so a row written here reads as one Piccolo wrote. For the submission's
        few statements, which Piccolo took longer to build than SQLite to run.
        """
        return self._execute(query, list(args))

    def _execute(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._open().execute(query, args)
            try:
                rows: list[dict[str, Any]] = cursor.fetchall()
            finally:
                cursor.close()
        return rows

    def close(self) -> None:
        """Close the shared connection (it opens again on the next statement)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
