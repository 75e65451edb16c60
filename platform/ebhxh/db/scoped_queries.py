"""Piccolo queries that run bound to the tenant of the scope that built them.

Each class is the Piccolo query of the same name with one more slot, the tenant, and a
`_run` (every `run`, `first()`, `await` ends there) that binds the row-security setting to
that tenant while it runs (a write also marks the tenant changed, for the read caches,
`ebhxh.db.generations`). Chaining (`.where().first()`, `.returning()`...) keeps the
instance, so a query built by scope A cannot run bound to tenant B.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from piccolo.query import Count, Delete, Objects, Query, Select, Update
from piccolo.query.methods.insert import Insert
from piccolo.table import Table

from ebhxh.db.binding import bound_to
from ebhxh.db.generations import GENERATIONS

T = TypeVar("T", bound=Table)


async def _run_bound(self: Any, node: str | None = None, in_pool: bool = True) -> Any:
    """Piccolo's `Query._run` (where every way of running a query ends), bound to the
    query's tenant. None of the query classes below overrides `_run`.
    """
    with bound_to(self.tenant_id):
        return await Query._run(self, node=node, in_pool=in_pool)


async def _run_bound_write(self: Any, node: str | None = None, in_pool: bool = True) -> Any:
    """`_run_bound` for a write, which then stales the tenant's cached reads in this process
    (before the change feed says so) whether it committed, failed or is in a transaction.
    """
    try:
        return await _run_bound(self, node=node, in_pool=in_pool)
    finally:
        GENERATIONS.touch(self.tenant_id)


class ScopedSelect(Select[T]):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound


class ScopedObjects(Objects[T]):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound


class ScopedCount(Count):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound


class ScopedUpdate(Update[T]):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound_write


class ScopedDelete(Delete):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound_write


class ScopedInsert(Insert[T]):
    __slots__ = ("tenant_id",)
    tenant_id: uuid.UUID
    _run = _run_bound_write


Q = TypeVar(
    "Q",
    ScopedSelect[Any],
    ScopedObjects[Any],
    ScopedCount,
    ScopedUpdate[Any],
    ScopedDelete,
    ScopedInsert[Any],
)


def _bind(query: Q, tenant_id: uuid.UUID) -> Q:
    query.tenant_id = tenant_id
    return query


def select(tenant_id: uuid.UUID, table: type[T], *columns: Any) -> ScopedSelect[T]:
    columns_list = table._process_column_args(*columns)
    return _bind(ScopedSelect[T](table=table, columns_list=columns_list), tenant_id)


def objects(tenant_id: uuid.UUID, table: type[T]) -> ScopedObjects[T]:
    return _bind(ScopedObjects[T](table=table), tenant_id)


def count(tenant_id: uuid.UUID, table: type[T]) -> ScopedCount:
    return _bind(ScopedCount(table=table), tenant_id)


def update(tenant_id: uuid.UUID, table: type[T], values: dict[Any, Any]) -> ScopedUpdate[T]:
    query = _bind(ScopedUpdate[T](table=table), tenant_id)
    query.values(values)
    return query


def delete(tenant_id: uuid.UUID, table: type[T]) -> ScopedDelete:
    return _bind(ScopedDelete(table=table), tenant_id)


def insert(tenant_id: uuid.UUID, table: type[T], *rows: T) -> ScopedInsert[T]:
    query = _bind(ScopedInsert[T](table=table), tenant_id)
    query.returning(table._meta.primary_key)
    query.add(*rows)
    return query
