"""Employee syncs as the tenant asks for them (start, follow) and the employees they keep:
a filtered list with cursor pagination, and one employee.

A unit may sync once it has its unit code and its electronic service with us is active (the
service-registration dossier is `active`); one sync per unit at a time, which the database
also enforces (a partial unique index), so two requests racing still make one sync.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import msgspec

from ebhxh.db.errors import is_unique_violation
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.tables import Dossier
from ebhxh.employees.schemas import (
    EmployeeOut,
    EmployeePageOut,
    EmployeeSyncOut,
    SyncCounts,
)
from ebhxh.employees.tables import Employee, EmployeeSync, SyncState
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.gateway.contract import Allowance, DossierKind
from ebhxh.identifiers import normalise_number_prefix
from ebhxh.text import fold
from ebhxh.units.lookup import unit_row
from ebhxh.units.tables import InsuranceUnit

MAX_LIMIT = 500
EMPLOYEE_COLUMNS = (
    Employee.id,
    Employee.unit,
    Employee.social_insurance_number,
    Employee.full_name,
    Employee.date_of_birth,
    Employee.gender,
    Employee.citizen_id,
    Employee.position,
    Employee.salary_kind,
    Employee.salary_amount_vnd,
    Employee.salary_coefficient,
    Employee.allowances,
    Employee.contract_type,
    Employee.contract_start,
    Employee.status,
    Employee.at_vss,
    Employee.updated_at,
)
_allowances = msgspec.json.Decoder(list[Allowance])


class EmployeeFilter(msgspec.Struct, kw_only=True):
    """What to list: every filter is optional; `name` ignores diacritics, case and spaces."""

    name: str | None = None
    social_insurance_number: str | None = None
    status: str | None = None
    position: str | None = None
    at_vss: bool | None = None
    cursor: str | None = None
    limit: int = 100


class EmployeeService:
    """Employees and employee syncs of the scope's tenant."""

    def __init__(self, scope: TenantScope) -> None:
        self.scope = scope

    # --- syncs ---------------------------------------------------------------------------

    async def start(self, unit_id: uuid.UUID, actor: str) -> EmployeeSyncOut:
        """Record a new sync of the unit (a job or the CLI runs it); 409 when the unit is
        not ready or a sync of it is running.
        """
        unit = await unit_row(self.scope, unit_id)
        await self._refuse_unready(unit)
        row = self.scope.new(
            EmployeeSync, unit=unit_id, state=SyncState.RUNNING.value, requested_by=actor
        )
        try:
            async with self.scope.transaction():
                await self._refuse_running(unit_id)
                await self.scope.insert(EmployeeSync, row)
        except Exception as exc:
            # A concurrent request won the race. Asked after the transaction: PostgreSQL
            # answers nothing more inside one that a violation aborted.
            if is_unique_violation(exc):
                raise await self._running_problem(unit_id) from exc
            raise
        return await self.get_sync(row.id)

    async def _refuse_unready(self, unit: dict[str, Any]) -> None:
        def refuse(reason: str) -> ProblemError:
            return ProblemError(
                ErrorCode.EMPLOYEE_SYNC_NOT_READY, status=409, params={"reason": reason}
            )

        if not unit["unit_code"]:
            raise refuse("đơn vị chưa có mã đơn vị / the unit has no unit code yet")
        active = (
            await self.scope.select(Dossier, Dossier.id)
            .where(
                Dossier.unit == unit["id"],
                Dossier.kind == DossierKind.SERVICE_REGISTRATION.value,
                Dossier.state == DossierState.ACTIVE.value,
            )
            .first()
        )
        if active is None:
            raise refuse(
                "dịch vụ giao dịch điện tử với BHXH chưa được kích hoạt / the unit's "
                "electronic service with VSS is not active yet"
            )

    async def _refuse_running(self, unit_id: uuid.UUID) -> None:
        if await self._running(unit_id) is not None:
            raise await self._running_problem(unit_id)

    async def _running(self, unit_id: uuid.UUID) -> Any:
        row = (
            await self.scope.select(EmployeeSync, EmployeeSync.id)
            .where(EmployeeSync.unit == unit_id, EmployeeSync.state == SyncState.RUNNING.value)
            .first()
        )
        return None if row is None else row["id"]

    async def _running_problem(self, unit_id: uuid.UUID) -> ProblemError:
        return ProblemError(
            ErrorCode.EMPLOYEE_SYNC_RUNNING,
            status=409,
            params={"sync_id": str(await self._running(unit_id))},
        )

    async def get_sync(self, sync_id: uuid.UUID) -> EmployeeSyncOut:
        row = await self.scope.select(EmployeeSync).where(EmployeeSync.id == sync_id).first()
        if row is None:
            raise ProblemError(ErrorCode.EMPLOYEE_SYNC_NOT_FOUND, status=404)
        return sync_out(row)

    async def resolve_unit(self, reference: str) -> uuid.UUID:
        """A unit of the tenant by id or unit code (the CLI takes either)."""
        try:
            condition = InsuranceUnit.id == uuid.UUID(reference)
        except ValueError:
            condition = InsuranceUnit.unit_code == reference.strip().upper()
        row = await self.scope.select(InsuranceUnit, InsuranceUnit.id).where(condition).first()
        if row is None:
            raise ProblemError(ErrorCode.UNIT_NOT_FOUND, status=404)
        return uuid.UUID(str(row["id"]))

    # --- employees -----------------------------------------------------------------------

    async def list(self, unit_id: uuid.UUID, wanted: EmployeeFilter) -> EmployeePageOut:
        """A page of the unit's employees in social-insurance number order."""
        await unit_row(self.scope, unit_id)
        if not 1 <= wanted.limit <= MAX_LIMIT:
            raise ProblemError(ErrorCode.INVALID_PARAMETER, status=400, field="limit")
        query = self.scope.select(Employee, *EMPLOYEE_COLUMNS).where(Employee.unit == unit_id)
        for condition in _conditions(wanted):
            query = query.where(condition)
        if wanted.cursor is not None:
            number, after_id = _decode_cursor(wanted.cursor)
            query = query.where(
                (Employee.social_insurance_number > number)
                | ((Employee.social_insurance_number == number) & (Employee.id > after_id))
            )
        rows = await query.order_by(Employee.social_insurance_number, Employee.id).limit(
            wanted.limit + 1
        )
        more = len(rows) > wanted.limit
        rows = rows[: wanted.limit]
        following = _encode_cursor(rows[-1]) if more else None
        return EmployeePageOut(employees=[employee_out(r) for r in rows], next_cursor=following)

    async def get(self, employee_id: uuid.UUID) -> EmployeeOut:
        row = (
            await self.scope.select(Employee, *EMPLOYEE_COLUMNS)
            .where(Employee.id == employee_id)
            .first()
        )
        if row is None:
            raise ProblemError(ErrorCode.EMPLOYEE_NOT_FOUND, status=404)
        return employee_out(row)


def _conditions(wanted: EmployeeFilter) -> list[Any]:
    conditions: list[Any] = []
    if wanted.name and fold(wanted.name):
        conditions.append(Employee.name_folded.like(f"%{fold(wanted.name)}%"))
    if wanted.social_insurance_number is not None:
        number = normalise_number_prefix(wanted.social_insurance_number)
        conditions.append(Employee.social_insurance_number.like(f"{number}%"))
    if wanted.status:
        conditions.append(Employee.status == wanted.status)
    if wanted.position and fold(wanted.position):
        conditions.append(Employee.position_folded.like(f"%{fold(wanted.position)}%"))
    if wanted.at_vss is not None:
        conditions.append(Employee.at_vss == wanted.at_vss)
    return conditions


def _encode_cursor(row: dict[str, Any]) -> str:
    raw = msgspec.json.encode([row["social_insurance_number"], str(row["id"])])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        number, after_id = msgspec.json.decode(raw, type=tuple[str, str])
        return number, uuid.UUID(after_id)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProblemError(ErrorCode.EMPLOYEE_CURSOR_INVALID, status=400, field="cursor") from exc


def sync_out(row: dict[str, Any]) -> EmployeeSyncOut:
    total = row["total"]
    processed = int(row["seen"])
    percent = None
    if total is not None:
        percent = (
            100
            if row["state"] == SyncState.DONE.value
            else min(99, processed * 100 // max(total, 1))
        )
    return EmployeeSyncOut(
        id=as_uuid(row["id"]),
        unit_id=as_uuid(row["unit"]),
        state=SyncState(row["state"]),
        pages=int(row["pages"]),
        processed=processed,
        total=total,
        percent=percent,
        counts=SyncCounts(
            created=int(row["created"]),
            updated=int(row["updated"]),
            unchanged=int(row["unchanged"]),
            no_longer_at_vss=int(row["gone"]),
        ),
        attempts=int(row["attempts"]),
        resumed_from_page=row["resumed_from_page"],
        error=row["error"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def employee_out(row: dict[str, Any]) -> EmployeeOut:
    return EmployeeOut(
        id=as_uuid(row["id"]),
        unit_id=as_uuid(row["unit"]),
        social_insurance_number=row["social_insurance_number"],
        full_name=row["full_name"],
        date_of_birth=row["date_of_birth"],
        gender=row["gender"],
        citizen_id=row["citizen_id"],
        position=row["position"],
        salary_kind=row["salary_kind"],
        salary_amount_vnd=row["salary_amount_vnd"],
        salary_coefficient=row["salary_coefficient"],
        allowances=_allowances.decode(row["allowances"]),
        contract_type=row["contract_type"],
        contract_start=row["contract_start"],
        status=row["status"],
        at_vss=bool(row["at_vss"]),
        updated_at=row["updated_at"],
    )
