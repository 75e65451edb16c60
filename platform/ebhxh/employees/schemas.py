"""Inputs and outputs of the employee API: syncs with their progress, employees, pages."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from ebhxh.employees.tables import SyncState
from ebhxh.gateway.contract import Allowance, Gender, SalaryKind


class SyncCounts(msgspec.Struct, kw_only=True):
    """What a sync did so far (or in all, once done)."""

    created: int
    updated: int
    unchanged: int
    no_longer_at_vss: int


class EmployeeSyncOut(msgspec.Struct, kw_only=True):
    """A sync of a unit's employees from VSS: its state, progress and result."""

    id: uuid.UUID
    unit_id: uuid.UUID
    state: SyncState
    pages: int
    processed: int
    """Employees read from VSS so far."""
    total: int | None
    """How many VSS lists (known after the first page)."""
    percent: int | None
    counts: SyncCounts
    attempts: int
    resumed_from_page: int | None
    """Set when a worker took over a sync another left (the pages it did not redo)."""
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


class EmployeeOut(msgspec.Struct, kw_only=True):
    """An insured employee of a unit, as VSS last listed them."""

    id: uuid.UUID
    unit_id: uuid.UUID
    social_insurance_number: str
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    citizen_id: str
    position: str
    salary_kind: SalaryKind
    salary_amount_vnd: int | None
    salary_coefficient: str | None
    allowances: list[Allowance]
    contract_type: str
    contract_start: dt.date
    status: str
    at_vss: bool
    """False when the last sync no longer found the employee at VSS."""
    updated_at: dt.datetime


class EmployeePageOut(msgspec.Struct, kw_only=True):
    """A page of employees in a stable order; `next_cursor` fetches the next (None: last)."""

    employees: list[EmployeeOut]
    next_cursor: str | None
