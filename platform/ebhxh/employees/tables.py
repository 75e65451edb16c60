"""Piccolo tables of employees: the unit's insured employees and the syncs that fetch them."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant
from ebhxh.units.tables import InsuranceUnit


class SyncState(StrEnum):
    """Where a sync is; at most one `running` per unit (a partial unique index)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class EmployeeSync(Table, tablename="employee_sync"):
    """One sync of a unit's employees from VSS, with its progress.

    Each page is committed with `cursor` (where VSS continues), `last_number` (the last
    social-insurance number of the page) and the running counts, in the page's transaction:
    a worker that dies resumes at `cursor` and the counts stay exact. `attempts` is the
    fencing token of the worker holding the sync until `lease_until`.
    """

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, index=True)
    state = Varchar(length=16, choices=SyncState)
    requested_by = Varchar(length=100)
    cursor = Text(null=True, default=None)
    last_number = Varchar(length=10, null=True, default=None)
    pages = Integer(default=0)
    total = Integer(null=True, default=None)
    """How many employees VSS listed, as of the last page fetched."""
    seen = Integer(default=0)
    created = Integer(default=0)
    updated = Integer(default=0)
    unchanged = Integer(default=0)
    gone = Integer(default=0)
    """Employees no longer listed at VSS (marked, never deleted)."""
    attempts = Integer(default=0)
    resumed_from_page = Integer(null=True, default=None)
    """Pages already committed when the last worker to take it over started."""
    lease_until = Timestamptz(null=True, default=None)
    error = Text(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class Employee(Table, tablename="employee"):
    """An insured employee of a unit as VSS last listed them.

    Unique per (tenant, unit, social-insurance number). `row_hash` covers every field from
    VSS, so a sync rewrites only rows that changed. `name_folded` is the name without
    diacritics, case or spaces, for search.
    """

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False)
    social_insurance_number = Varchar(length=10)
    full_name = Varchar(length=255)
    name_folded = Varchar(length=255)
    date_of_birth = Date()
    gender = Varchar(length=6)
    citizen_id = Varchar(length=12)
    position = Varchar(length=255)
    position_folded = Varchar(length=255)
    salary_kind = Varchar(length=16)
    salary_amount_vnd = BigInt(null=True, default=None)
    salary_coefficient = Varchar(length=8, null=True, default=None)
    allowances = Text(default="[]")
    """The allowances as a JSON array (`gateway.contract.Allowance`)."""
    contract_type = Varchar(length=32)
    contract_start = Date()
    status = Varchar(length=32)
    """The status VSS gives (participating, maternity_leave, ...)."""
    at_vss = Boolean(default=True)
    """False once a sync no longer finds the employee at VSS."""
    row_hash = Varchar(length=32)
    changed_by_sync = UUID(null=True, default=None)
    """The sync that last created or changed the row (or found it gone)."""
    updated_at = Timestamptz(default=TimestamptzNow())
