"""Write one page of VSS employees into the tenant's table, fast, on either backend.

First the stored (number, hash, at VSS) of the page's number range are read (one index
range scan), so only new and changed rows are written: a sync where little changed is
mostly reads. Who is no longer at VSS is found in the same pass: VSS lists in ascending
social-insurance number, so an employee stored between the previous page's last number and
this page's last number who is not on this page has left the list (after the last page:
everyone above).

PostgreSQL writes with one `INSERT ... SELECT FROM unnest(...) ON CONFLICT ... DO UPDATE
... WHERE <changed>` per page, `RETURNING (xmax = 0)` telling inserted rows from updated
ones; each unnest array is one bind argument, so a page of thousands stays far below
asyncpg's 32,767-argument limit (not COPY: row-level security refuses it). SQLite (the
embedded default) uses `executemany`. Every statement binds the scope's tenant and runs in
the caller's `scope.transaction()`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.gateway.contract import InsuredEmployee
from ebhxh.text import fold


class PageCounts(msgspec.Struct, kw_only=True):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0


COLUMN_TYPES = (
    ("social_insurance_number", "text"),
    ("full_name", "text"),
    ("name_folded", "text"),
    ("date_of_birth", "date"),
    ("gender", "text"),
    ("citizen_id", "text"),
    ("position", "text"),
    ("position_folded", "text"),
    ("salary_kind", "text"),
    ("salary_amount_vnd", "int8"),
    ("salary_coefficient", "text"),
    ("allowances", "text"),
    ("contract_type", "text"),
    ("contract_start", "date"),
    ("status", "text"),
    ("row_hash", "text"),
)
"""The stored columns of an employee from VSS, in `row_values` order, with their PostgreSQL
array element types (one unnest array each)."""
COLUMNS = tuple(column for column, _ in COLUMN_TYPES)
PG_TYPES = tuple(kind for _, kind in COLUMN_TYPES)
_encode = msgspec.json.Encoder().encode
# Folding is the costly part of a row; names are made of few distinct words and positions
# repeat, so both are folded through a bounded cache (per word: fold ignores the spaces).
_fold_cached = functools.lru_cache(maxsize=65_536)(fold)


def _fold_name(name: str) -> str:
    return "".join(_fold_cached(word) for word in name.split())


def row_values(employee: InsuredEmployee) -> tuple[Any, ...]:
    """The stored columns (in `COLUMNS` order) of an employee, with its hash last."""
    name = employee.full_name
    if not unicodedata.is_normalized("NFC", name):
        name = unicodedata.normalize("NFC", name)
    return (
        employee.social_insurance_number,
        name,
        _fold_name(name),
        employee.date_of_birth,
        employee.gender.value,
        employee.citizen_id,
        employee.position,
        _fold_cached(employee.position),
        employee.salary_kind.value,
        employee.salary_amount_vnd,
        employee.salary_coefficient,
        _encode(employee.allowances).decode(),
        employee.contract_type,
        employee.contract_start,
        employee.status,
        hashlib.blake2b(_encode(employee), digest_size=16).hexdigest(),
    )


def _sql(*parts: str) -> str:
    """A statement from fixed parts: column names from `COLUMNS`, never values."""
    return " ".join(parts)


_LISTED = ", ".join(COLUMNS)
UPSERT_SQL = _sql(
    "INSERT INTO employee AS e (id, tenant, unit, changed_by_sync, updated_at, at_vss,",
    _LISTED,
    ") SELECT gen_random_uuid(), $1, $2, $3, $4, true, r.* FROM unnest(",
    ", ".join(f"${i + 5}::{kind}[]" for i, kind in enumerate(PG_TYPES)),
    ") AS r ON CONFLICT (tenant, unit, social_insurance_number) DO UPDATE SET",
    ", ".join(f"{column} = EXCLUDED.{column}" for column in COLUMNS[1:]),
    ", at_vss = true, changed_by_sync = EXCLUDED.changed_by_sync,",
    "updated_at = EXCLUDED.updated_at",
    "WHERE e.row_hash <> EXCLUDED.row_hash OR NOT e.at_vss",
    "RETURNING (xmax = 0) AS created",
)
SQLITE_INSERT_SQL = _sql(
    "INSERT INTO employee (id, tenant, unit, changed_by_sync, updated_at, at_vss,",
    _LISTED,
    ") VALUES (?, ?, ?, ?, ?, 1,",
    ", ".join("?" for _ in COLUMNS),
    ")",
)
SQLITE_UPDATE_SQL = _sql(
    "UPDATE employee SET",
    ", ".join(f"{column} = ?" for column in COLUMNS[1:]),
    ", at_vss = 1, changed_by_sync = ?, updated_at = ?",
    "WHERE tenant = ? AND unit = ? AND social_insurance_number = ?",
)
RANGE_SQL = (
    "SELECT social_insurance_number, row_hash, at_vss FROM employee "
    "WHERE tenant = $1 AND unit = $2 AND social_insurance_number > $3"
)
RANGE_THROUGH_SQL = RANGE_SQL + " AND social_insurance_number <= $4"
"""Two statements, so the upper bound stays an index condition in a prepared plan."""
SQLITE_RANGE = {sql: re.sub(r"\$\d+", "?", sql) for sql in (RANGE_SQL, RANGE_THROUGH_SQL)}
GONE_SQL = (
    "UPDATE employee SET at_vss = false, changed_by_sync = $3, updated_at = $4 "
    "WHERE tenant = $1 AND unit = $2 AND social_insurance_number = ANY($5::text[])"
)
SQLITE_GONE_SQL = (
    "UPDATE employee SET at_vss = 0, changed_by_sync = ?, updated_at = ? "
    "WHERE tenant = ? AND unit = ? AND social_insurance_number = ?"
)


class PageWrite(msgspec.Struct, frozen=True, kw_only=True):
    """One page to write: `rows` (from `row_values`, ascending numbers), and the range of
    numbers it covers, (`after`, `through`] (`through` None: no upper bound, the last page).
    """

    unit_id: uuid.UUID
    sync_id: uuid.UUID
    rows: Sequence[tuple[Any, ...]]
    after: str
    through: str | None
    now: dt.datetime


class _Plan(msgspec.Struct, kw_only=True):
    """What a page changes: rows to create, rows to update, numbers no longer listed."""

    created: list[tuple[Any, ...]]
    changed: list[tuple[Any, ...]]
    gone: list[str]


async def write_page(scope: TenantScope, page: PageWrite) -> PageCounts:
    """Write the page's new and changed rows and mark as gone the unit's employees
    numbered in its range who are not on it.
    """
    postgres = scope.on_postgres
    connection = scope.connection()
    stored = await _stored(connection, postgres, scope.tenant_id, page)
    listed = {row[0] for row in page.rows}
    plan = _Plan(
        created=[row for row in page.rows if row[0] not in stored],
        changed=[
            row for row in page.rows if row[0] in stored and stored[row[0]] != (row[-1], True)
        ],
        gone=[
            number for number, (_, present) in stored.items() if present and number not in listed
        ],
    )
    if postgres:
        created, updated = await _write_postgres(connection, scope.tenant_id, page, plan)
    else:
        created, updated = await _write_sqlite(connection, scope.tenant_id, page, plan)
    return PageCounts(
        created=created,
        updated=updated,
        unchanged=len(page.rows) - created - updated,
        gone=len(plan.gone),
    )


async def _stored(
    connection: Any, postgres: bool, tenant_id: uuid.UUID, page: PageWrite
) -> dict[str, tuple[str, bool]]:
    """The stored employees of the page's number range: number -> (hash, at VSS)."""
    bounds: tuple[Any, ...] = (page.after,) if page.through is None else (page.after, page.through)
    sql = RANGE_SQL if page.through is None else RANGE_THROUGH_SQL
    if postgres:
        records = await connection.fetch(sql, tenant_id, page.unit_id, *bounds)
    else:
        cursor = await connection.execute(
            SQLITE_RANGE[sql], (str(tenant_id), str(page.unit_id), *bounds)
        )
        records = await cursor.fetchall()
    return {
        record["social_insurance_number"]: (record["row_hash"], bool(record["at_vss"]))
        for record in records
    }


async def _write_postgres(
    connection: Any, tenant_id: uuid.UUID, page: PageWrite, plan: _Plan
) -> tuple[int, int]:
    rows = plan.created + plan.changed
    created = updated = 0
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        written = await connection.fetch(
            UPSERT_SQL, tenant_id, page.unit_id, page.sync_id, page.now, *columns
        )
        created = sum(1 for record in written if record[0])
        updated = len(written) - created
    if plan.gone:
        await connection.execute(
            GONE_SQL, tenant_id, page.unit_id, page.sync_id, page.now, plan.gone
        )
    return created, updated


async def _write_sqlite(
    connection: Any, tenant_id: uuid.UUID, page: PageWrite, plan: _Plan
) -> tuple[int, int]:
    tenant, unit, sync = str(tenant_id), str(page.unit_id), str(page.sync_id)
    now = page.now
    await connection.executemany(
        SQLITE_INSERT_SQL,
        [(str(uuid.uuid4()), tenant, unit, sync, now, *row) for row in plan.created],
    )
    await connection.executemany(
        SQLITE_UPDATE_SQL,
        [(*row[1:], sync, now, tenant, unit, row[0]) for row in plan.changed],
    )
    await connection.executemany(
        SQLITE_GONE_SQL, [(sync, now, tenant, unit, number) for number in plan.gone]
    )
    return len(plan.created), len(plan.changed)
