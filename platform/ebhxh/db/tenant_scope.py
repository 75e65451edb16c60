"""Tenant scoping by construction: the only way services reach tenant data.

A `TenantScope` is made from the authenticated principal and adds `tenant = <id>` to every
query it builds, and sets the tenant on every row it inserts. Services receive a scope, not
tables; a test fails when code outside the allowed modules queries a tenant table directly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.engine.postgres import PostgresEngine
from piccolo.query import Delete, Objects, Select, Update
from piccolo.query.methods.insert import Insert
from piccolo.table import Table

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

    def select(self, table: type[T], *columns: Any) -> Select[T]:
        return table.select(*columns).where(self._check(table) == self.tenant_id)

    def objects(self, table: type[T]) -> Objects[T]:
        return table.objects().where(self._check(table) == self.tenant_id)

    def count(self, table: type[T]) -> Any:
        return table.count().where(self._check(table) == self.tenant_id)

    def update(self, table: type[T], values: Mapping[Any, Any]) -> Update[T]:
        return table.update(dict(values)).where(self._check(table) == self.tenant_id)

    def delete(self, table: type[T]) -> Delete:
        return table.delete().where(self._check(table) == self.tenant_id)

    def new(self, table: type[T], **values: Any) -> T:
        """A row of `table` belonging to this tenant (not yet saved)."""
        self._check(table)
        return table(tenant=self.tenant_id, **values)

    def insert(self, table: type[T], *rows: T) -> Insert[T]:
        """Insert rows made with `new`; a row of another tenant is refused."""
        self._check(table)
        for row in rows:
            if str(row.tenant) != str(self.tenant_id):  # type: ignore[attr-defined]
                raise NotTenantData(f"{table.__name__} row belongs to another tenant")
        return table.insert(*rows)

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
        return current.connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One database transaction for a unit of work in this tenant."""
        async with TENANT_TABLES[0]._meta.db.transaction():
            yield
