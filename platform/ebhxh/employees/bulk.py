"""Write one page of VSS employees into the tenant's table, fast, on either backend.

PostgreSQL: one `INSERT ... SELECT FROM unnest(...) ON CONFLICT ... DO UPDATE ... WHERE
<changed>` per page, with `RETURNING (xmax = 0)` telling inserted rows from updated ones;
each unnest array is one bind argument, so a page of thousands stays far below asyncpg's
32,767-argument limit (COPY is not an option: it is refused under row-level security).
Rows whose hash did not change are not rewritten. SQLite (the embedded default): read the
page's key range, then `executemany` the inserts and updates.

Who is no longer at VSS is found page by page: VSS lists in ascending social-insurance
number, so a stored employee between the previous page's last number and this page's last
number who is not on this page has left the list (after the last page: everyone above).
Every statement binds the scope's tenant and runs in the caller's `scope.transaction()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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


COLUMNS = (
    "social_insurance_number",
    "full_name",
    "name_folded",
    "date_of_birth",
    "gender",
    "citizen_id",
    "position",
    "position_folded",
    "salary_kind",
    "salary_amount_vnd",
    "salary_coefficient",
    "allowances",
    "contract_type",
    "contract_start",
    "status",
    "row_hash",
)
PG_TYPES = (
    "text",
    "text",
    "text",
    "date",
    "text",
    "text",
    "text",
    "text",
    "text",
    "int8",
    "text",
    "text",
    "text",
    "date",
    "text",
    "text",
)
_encode = msgspec.json.Encoder().encode


def row_values(employee: InsuredEmployee) -> tuple[Any, ...]:
    """The stored columns (in `COLUMNS` order) of an employee, with its hash last."""
    name = unicodedata.normalize("NFC", employee.full_name)
    return (
        employee.social_insurance_number,
        name,
        fold(name),
        employee.date_of_birth,
        employee.gender.value,
        employee.citizen_id,
        employee.position,
        fold(employee.position),
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
SQLITE_RANGE_SQL = (
    "SELECT social_insurance_number, row_hash, at_vss FROM employee "
    "WHERE tenant = ? AND unit = ? AND social_insurance_number > ? "
    "AND (? IS NULL OR social_insurance_number <= ?)"
)
PG_GONE_SQL = (
    "UPDATE employee SET at_vss = false, changed_by_sync = $3, updated_at = $4 "
    "WHERE tenant = $1 AND unit = $2 AND at_vss "
    "AND social_insurance_number > $5 AND ($6::text IS NULL OR social_insurance_number <= $6) "
    "AND NOT (social_insurance_number = ANY($7::text[]))"
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


async def write_page(scope: TenantScope, page: PageWrite) -> PageCounts:
    """Upsert the page's rows and mark as gone the unit's employees numbered in its range
    who are not among them.
    """
    if scope.on_postgres:
        return await _write_postgres(scope, page)
    return await _write_sqlite(scope, page)


async def _write_postgres(scope: TenantScope, page: PageWrite) -> PageCounts:
    rows = page.rows
    sync_id, now = page.sync_id, page.now
    connection = scope.connection()
    keys = [row[0] for row in rows]
    counts = PageCounts()
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        written = await connection.fetch(
            UPSERT_SQL, scope.tenant_id, page.unit_id, sync_id, now, *columns
        )
        counts.created = sum(1 for record in written if record[0])
        counts.updated = len(written) - counts.created
        counts.unchanged = len(rows) - len(written)
    status = await connection.execute(
        PG_GONE_SQL, scope.tenant_id, page.unit_id, sync_id, now, page.after, page.through, keys
    )
    counts.gone = int(status.rsplit(" ", 1)[-1])
    return counts


async def _write_sqlite(scope: TenantScope, page: PageWrite) -> PageCounts:
    rows, now, after, through = page.rows, page.now, page.after, page.through
    connection = scope.connection()
    tenant, unit, sync = str(scope.tenant_id), str(page.unit_id), str(page.sync_id)
    cursor = await connection.execute(SQLITE_RANGE_SQL, (tenant, unit, after, through, through))
    stored = {
        record["social_insurance_number"]: (record["row_hash"], bool(record["at_vss"]))
        for record in await cursor.fetchall()
    }
    created = [row for row in rows if row[0] not in stored]
    changed = [row for row in rows if row[0] in stored and stored[row[0]] != (row[-1], True)]
    listed = {row[0] for row in rows}
    gone = [number for number, (_, present) in stored.items() if present and number not in listed]
    await connection.executemany(
        SQLITE_INSERT_SQL,
        [(str(uuid.uuid4()), tenant, unit, sync, now, *row) for row in created],
    )
    await connection.executemany(
        SQLITE_UPDATE_SQL,
        [(*row[1:], sync, now, tenant, unit, row[0]) for row in changed],
    )
    await connection.executemany(
        "UPDATE employee SET at_vss = 0, changed_by_sync = ?, updated_at = ? "
        "WHERE tenant = ? AND unit = ? AND social_insurance_number = ?",
        [(sync, now, tenant, unit, number) for number in gone],
    )
    return PageCounts(
        created=len(created),
        updated=len(changed),
        unchanged=len(rows) - len(created) - len(changed),
        gone=len(gone),
    )
