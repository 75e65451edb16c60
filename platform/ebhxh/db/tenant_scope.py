"""Tenant scoping by construction: the only way services reach tenant data.

A `TenantScope` is made from the authenticated principal and adds `tenant = <id>` to every
query it builds, and sets the tenant on every row it inserts. Services receive a scope, not
tables; a test fails when code outside the allowed modules queries a tenant table directly.

On PostgreSQL row-level security is the second wall: every query a scope builds, and its
`transaction()`, run bound to the scope's tenant (`ebhxh.db.scoped_queries`), and the
tables' policies refuse every other tenant's rows whatever the WHERE clause says.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from ebhxh.db import scoped_queries as scoped
from ebhxh.db.binding import BindingMismatch, bound_to
from ebhxh.db.generations import GENERATIONS
from ebhxh.db.registry import TENANT_TABLES

T = TypeVar("T", bound=Table)


class NotTenantData(TypeError):
    """A scope was asked for a table that is not tenant data."""


class TenantScope:
    """Queries on tenant tables restricted to one tenant."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id

    def _check(self, table: type[Table]) -> Column:
        if table not in TENANT_TABLES:
            raise NotTenantData(f"{table.__name__} is not tenant data")
        column: Column = table._meta.get_column_by_name("tenant")
        return column

    def select(self, table: type[T], *columns: Any) -> scoped.ScopedSelect[T]:
        column = self._check(table)
        return scoped.select(self.tenant_id, table, *columns).where(column == self.tenant_id)

    def objects(self, table: type[T]) -> scoped.ScopedObjects[T]:
        column = self._check(table)
        return scoped.objects(self.tenant_id, table).where(column == self.tenant_id)

    def count(self, table: type[T]) -> scoped.ScopedCount:
        column = self._check(table)
        return scoped.count(self.tenant_id, table).where(column == self.tenant_id)

    def update(self, table: type[T], values: Mapping[Any, Any]) -> scoped.ScopedUpdate[T]:
        column = self._check(table)
        query = scoped.update(self.tenant_id, table, dict(values))
        query.where(column == self.tenant_id)
        return query

    def delete(self, table: type[T]) -> scoped.ScopedDelete:
        column = self._check(table)
        return scoped.delete(self.tenant_id, table).where(column == self.tenant_id)

    def new(self, table: type[T], **values: Any) -> T:
        """A row of `table` belonging to this tenant (not yet saved)."""
        self._check(table)
        return table(tenant=self.tenant_id, **values)

    def insert(self, table: type[T], *rows: T) -> scoped.ScopedInsert[T]:
        """Insert rows made with `new`; a row of another tenant is refused."""
        self._check(table)
        for row in rows:
            if str(row.tenant) != str(self.tenant_id):  # type: ignore[attr-defined]
                raise NotTenantData(f"{table.__name__} row belongs to another tenant")
        return scoped.insert(self.tenant_id, table, *rows)

    @property
    def on_postgres(self) -> bool:
        """Whether tenant tables live in PostgreSQL (else the embedded SQLite)."""
        return isinstance(TENANT_TABLES[0]._meta.db, PostgresEngine)

    def connection(self) -> Any:
        """The driver connection (asyncpg or aiosqlite) of the current `transaction()`, for
        bulk statements the ORM builds too slowly. The caller's SQL must bind `tenant_id`
        in every statement, as the queries built here do.
        """
        current = TENANT_TABLES[0]._meta.db.current_transaction.get()
        if current is None:
            raise RuntimeError("raw statements on tenant data run inside scope.transaction()")
        self._refuse_other_binding(current)
        return current.connection

    def _refuse_other_binding(self, current: Any) -> None:
        held = getattr(current, "binding", self.tenant_id)  # SQLite's has none
        if held != self.tenant_id:
            raise BindingMismatch(f"tenant {self.tenant_id} inside a transaction of {held}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One database transaction for a unit of work in this tenant, bound to it from its
        start: every query inside, scoped or not, runs as this tenant.
        """
        engine = TENANT_TABLES[0]._meta.db
        current = engine.current_transaction.get()
        if current is not None:
            self._refuse_other_binding(current)
        with bound_to(self.tenant_id):
            try:
                async with engine.transaction():
                    yield
            finally:
                # Its raw statements (`connection()`) may have written; once it has
                # committed, reads cached during it must go.
                GENERATIONS.touch(self.tenant_id)
