"""The sandbox's employee lists: pages of a unit's workforce, sizing it, and the test knob
that changes some employees between two syncs.

Only the size and the knob's rounds are stored (`VssWorkforce`); a page is generated on
request (`workforce.Workforce`), so a 100,000-employee unit costs nothing to hold.
"""

from __future__ import annotations

from collections import deque

import msgspec

from ebhxh.gateway.contract import EmployeePage
from ebhxh.vss_sandbox.service import Refusal
from ebhxh.vss_sandbox.tables import VssUnit, VssWorkforce
from ebhxh.vss_sandbox.workforce import MAX_PAGE, Change, Workforce

MAX_EMPLOYEES = 2_000_000
MAX_EVER = 2_500_000
"""Employees a unit can have had, joiners included (social-insurance numbers have 8 digits
after the province, 8 numbers apart)."""
REQUESTS_KEPT = 1000


class EmployeeChanges(msgspec.Struct, kw_only=True):
    """How many employees the next round makes join, leave, and get a raise."""

    joined: int = 0
    left: int = 0
    salary_changed: int = 0


class ChangeReport(msgspec.Struct, kw_only=True):
    """What a round changed, by social-insurance number (what a sync should then report)."""

    round: int
    joined: list[str]
    left: list[str]
    salary_changed: list[str]
    total: int


class SandboxEmployees:
    """The employee side of the sandbox (its own tables, like `SandboxService`)."""

    def __init__(self) -> None:
        self.requested: dict[str, deque[str | None]] = {}
        """Per unit code, the cursors asked for, in order (tests check where a sync resumed)."""

    async def _workforce(self, unit_code: str) -> Workforce:
        row = await VssWorkforce.objects().get(VssWorkforce.unit_code == unit_code)
        if row is None:
            if not await VssUnit.exists().where(VssUnit.unit_code == unit_code):
                raise Refusal("unit_unknown", "Không tìm thấy đơn vị với mã đơn vị này.", 404)
            return Workforce(unit_code, 0)
        changes = msgspec.json.decode(row.changes, type=list[Change])
        return Workforce(unit_code, row.size, changes)

    async def page(self, unit_code: str, cursor: str | None, limit: int) -> EmployeePage:
        self.requested.setdefault(unit_code, deque(maxlen=REQUESTS_KEPT)).append(cursor)
        if not 1 <= limit <= MAX_PAGE:
            raise Refusal("bad_limit", f"Số bản ghi mỗi trang từ 1 đến {MAX_PAGE}.")
        start = 0
        if cursor is not None:
            if not cursor.isdigit():
                raise Refusal("bad_cursor", "Con trỏ trang không hợp lệ.")
            start = int(cursor)
        workforce = await self._workforce(unit_code)
        employees, following = workforce.page(start, limit)
        return EmployeePage(
            employees=tuple(employees),
            next_cursor=None if following is None else str(following),
            total=workforce.total,
        )

    async def set_size(self, unit_code: str, size: int) -> None:
        """Give the unit `size` employees (and forget earlier rounds of changes)."""
        if not 0 <= size <= MAX_EMPLOYEES:
            raise Refusal("bad_size", f"Số lao động từ 0 đến {MAX_EMPLOYEES}.")
        await VssWorkforce.delete().where(VssWorkforce.unit_code == unit_code)
        await VssWorkforce(unit_code=unit_code, size=size, changes="[]").save()

    async def change(self, unit_code: str, wanted: EmployeeChanges) -> ChangeReport:
        """Apply one round of the knob and say whom it changed."""
        if min(wanted.joined, wanted.left, wanted.salary_changed) < 0:
            raise Refusal("bad_change", "Số lượng thay đổi không được âm.")
        row = await VssWorkforce.objects().get(VssWorkforce.unit_code == unit_code)
        if row is None:
            raise Refusal("unit_unknown", "Đơn vị chưa có danh sách lao động.", 404)
        workforce = await self._workforce(unit_code)
        if workforce.count + wanted.joined > MAX_EVER:
            raise Refusal("bad_change", f"Một đơn vị có tối đa {MAX_EVER} lao động từng tham gia.")
        try:
            change = workforce.next_change(wanted.joined, wanted.left, wanted.salary_changed)
        except ValueError as exc:
            raise Refusal("bad_change", f"Không đủ lao động để thay đổi: {exc}.") from exc
        after = Workforce(unit_code, workforce.size, (*workforce.changes, change))
        await VssWorkforce.update(
            {VssWorkforce.changes: msgspec.json.encode(after.changes).decode()}
        ).where(VssWorkforce.unit_code == unit_code)
        number = after.social_insurance_number
        return ChangeReport(
            round=len(after.changes),
            joined=[number(i) for i in range(workforce.count, after.count)],
            left=sorted(number(i) for i in change.left),
            salary_changed=sorted(number(i) for i in change.raised),
            total=after.total,
        )
