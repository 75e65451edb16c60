"""Run one employee sync: page by page from VSS into the tenant's table, resumable.

A runner first claims the sync (`attempts` + 1, a lease), then streams pages: while one page
is written, the next is already being fetched, and nothing else is held, so memory stays flat
however large the unit. Each page's writes, the cursor VSS gave for the next page, the last
social-insurance number and the running counts are one transaction, which also checks that
this runner still holds the claim (a runner whose lease lapsed and was taken over stops
there, writing nothing). A killed runner's sync is re-enqueued once its lease passes
(`recovery.py`) and continues at the saved cursor with exact counts; the last page marks the
sync done in its own transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from ebhxh.clock import Clock
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.employees.bulk import PageCounts, PageWrite, row_values, write_page
from ebhxh.employees.tables import EmployeeSync, SyncState
from ebhxh.gateway.contract import EmployeePage, GatewayRefused, VssGateway
from ebhxh.units.tables import InsuranceUnit

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8


class Progress(msgspec.Struct, kw_only=True):
    """Where a running sync is, after a committed page."""

    pages: int
    processed: int
    total: int
    done: bool


OnPage = Callable[[Progress], None]


class LostClaim(Exception):
    """Another runner took the sync over (our lease lapsed): stop without writing."""


class OutOfOrder(Exception):
    """VSS listed employees out of ascending social-insurance number (contract broken)."""


class SyncRunner:
    """Runs syncs of one tenant with a gateway, a clock, a lease and a page size."""

    def __init__(
        self,
        scope: TenantScope,
        gateway: VssGateway,
        clock: Clock,
        *,
        lease: dt.timedelta,
        page_size: int,
    ) -> None:
        self.scope = scope
        self.gateway = gateway
        self.clock = clock
        self.lease = lease
        self.page_size = page_size

    async def claim(self, sync_id: uuid.UUID) -> int | None:
        """Take the sync if it runs and nobody holds it; the claim's token, or None."""
        now = self.clock.now()
        async with self.scope.transaction():
            row = await self._row(sync_id)
            if row is None or row["state"] != SyncState.RUNNING.value:
                return None
            if row["lease_until"] is not None and row["lease_until"] > now:
                return None
            held = int(row["attempts"]) + 1
            claimed = (
                await self.scope.update(
                    EmployeeSync,
                    {
                        EmployeeSync.attempts: held,
                        EmployeeSync.lease_until: now + self.lease,
                        EmployeeSync.resumed_from_page: row["pages"] or None,
                    },
                )
                .where(EmployeeSync.id == sync_id, EmployeeSync.attempts == row["attempts"])
                .returning(EmployeeSync.id)
            )
        return held if claimed else None

    async def run(self, sync_id: uuid.UUID, held: int, on_page: OnPage | None = None) -> str:
        """Continue the claimed sync to its end; what happened (for logs and tests)."""
        row = await self._row(sync_id)
        if row is None:
            return "missing"
        if held > MAX_ATTEMPTS:
            await self.fail(
                sync_id,
                held,
                f"Đã dừng sau {MAX_ATTEMPTS} lần thử không thành công / "
                f"gave up after {MAX_ATTEMPTS} attempts",
            )
            return "failed"
        unit = (
            await self.scope.select(InsuranceUnit, InsuranceUnit.unit_code)
            .where(InsuranceUnit.id == row["unit"])
            .first()
        )
        unit_code = unit["unit_code"] if unit else None
        if not unit_code:
            await self.fail(sync_id, held, "Đơn vị chưa có mã đơn vị / the unit has no unit code")
            return "failed"
        try:
            await self._stream(row, unit_code, held, on_page)
        except GatewayRefused as refused:
            await self.fail(sync_id, held, f"BHXH từ chối / VSS refused: {refused.reason}")
            return "failed"
        except OutOfOrder as exc:
            log.warning("employee_sync_out_of_order", sync_id=str(sync_id), detail=str(exc))
            await self.fail(
                sync_id,
                held,
                "Danh sách của BHXH không theo thứ tự mã số BHXH / "
                "VSS did not list employees in social-insurance number order",
            )
            return "failed"
        except LostClaim:
            log.info("employee_sync_taken_over", sync_id=str(sync_id))
            return "taken-over"
        return "done"

    async def _stream(
        self, row: dict[str, Any], unit_code: str, held: int, on_page: OnPage | None
    ) -> None:
        sync_id = as_uuid(row["id"])
        cursor: str | None = row["cursor"]
        last: str = row["last_number"] or ""
        pages, processed = int(row["pages"]), int(row["seen"])

        # Pages come through a queue of one from a task that fetches them and makes them
        # into rows: while a page is written, the next waits ready and the one after is being
        # fetched, so VSS, this process and the database all work at once, with at most
        # three pages in memory.
        queue: asyncio.Queue[tuple[EmployeePage, list[tuple[Any, ...]]] | BaseException] = (
            asyncio.Queue(maxsize=1)
        )
        producer = asyncio.create_task(self._produce(unit_code, cursor, queue))
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                page, rows = item
                final = page.next_cursor is None
                _check_order(rows, last)
                through = None if final else (rows[-1][0] if rows else last)
                counts = await self._commit(
                    sync_id, row["unit"], held, rows, last, through, page, pages, final
                )
                pages += 1
                processed += len(rows)
                last = through or last
                log.debug("employee_sync_page", sync_id=str(sync_id), pages=pages, **counts)
                if on_page is not None:
                    on_page(
                        Progress(pages=pages, processed=processed, total=page.total, done=final)
                    )
                if final:
                    return
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer  # no fetch outlives the sync that asked for it

    async def _produce(
        self,
        unit_code: str,
        cursor: str | None,
        queue: asyncio.Queue[tuple[EmployeePage, list[tuple[Any, ...]]] | BaseException],
    ) -> None:
        try:
            while True:
                page = await self.gateway.employees_page(unit_code, cursor, self.page_size)
                await queue.put((page, [row_values(employee) for employee in page.employees]))
                if page.next_cursor is None:
                    return
                cursor = page.next_cursor
        except Exception as exc:  # noqa: BLE001 - handed to the writer, which raises it
            await queue.put(exc)

    async def _commit(
        self,
        sync_id: uuid.UUID,
        unit_id: Any,
        held: int,
        rows: list[tuple[Any, ...]],
        after: str,
        through: str | None,
        page: EmployeePage,
        pages: int,
        final: bool,
    ) -> dict[str, int]:
        now = self.clock.now()
        async with self.scope.transaction():
            page_write = PageWrite(
                unit_id=as_uuid(unit_id),
                sync_id=sync_id,
                rows=rows,
                after=after,
                through=through,
                now=now,
            )
            counts: PageCounts = await write_page(self.scope, page_write)
            sync = EmployeeSync
            values: dict[Any, Any] = {
                sync.cursor: page.next_cursor,
                sync.last_number: through,
                sync.pages: pages + 1,
                sync.total: page.total,
                sync.seen: sync.seen + len(rows),
                sync.created: sync.created + counts.created,
                sync.updated: sync.updated + counts.updated,
                sync.unchanged: sync.unchanged + counts.unchanged,
                sync.gone: sync.gone + counts.gone,
                sync.lease_until: now + self.lease,
                sync.error: None,
            }
            if final:
                values |= {sync.state: SyncState.DONE.value, sync.finished_at: now}
            saved = (
                await self.scope.update(EmployeeSync, values)
                .where(
                    sync.id == sync_id, sync.attempts == held, sync.state == SyncState.RUNNING.value
                )
                .returning(sync.id)
            )
            if not saved:  # rolls the page back with the transaction
                raise LostClaim(str(sync_id))
        return msgspec.structs.asdict(counts)

    async def postpone(self, sync_id: uuid.UUID, held: int, until: dt.datetime, why: str) -> None:
        """VSS did not answer: keep the sync, let the reconciliation retry it at `until`."""
        await self.scope.update(
            EmployeeSync, {EmployeeSync.lease_until: until, EmployeeSync.error: why}
        ).where(EmployeeSync.id == sync_id, EmployeeSync.attempts == held)

    async def fail(self, sync_id: uuid.UUID, held: int, why: str) -> None:
        log.warning("employee_sync_failed", sync_id=str(sync_id), reason=why)
        await self.scope.update(
            EmployeeSync,
            {
                EmployeeSync.state: SyncState.FAILED.value,
                EmployeeSync.error: why,
                EmployeeSync.finished_at: self.clock.now(),
            },
        ).where(EmployeeSync.id == sync_id, EmployeeSync.attempts == held)

    async def _row(self, sync_id: uuid.UUID) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await self.scope.select(EmployeeSync).where(EmployeeSync.id == sync_id).first()
        )
        return row


def _check_order(rows: list[tuple[Any, ...]], after: str) -> None:
    previous = after
    for row in rows:
        if row[0] <= previous:
            raise OutOfOrder(
                f"VSS listed {row[0]} after {previous}: not in ascending social-insurance number"
            )
        previous = row[0]
