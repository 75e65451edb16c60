"""HTTP routes of employees: start a sync from VSS and follow it, list and read employees."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from ebhxh.auth.guards import requires
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.employees.jobs import enqueue_sync
from ebhxh.employees.schemas import EmployeeOut, EmployeePageOut, EmployeeSyncOut
from ebhxh.employees.service import EmployeeFilter, EmployeeService
from ebhxh.http.params import QueryText
from ebhxh.tenancy.tables import Role

log = structlog.get_logger(__name__)


def provide_employees(tenant_scope: NamedDependency[TenantScope]) -> EmployeeService:
    return EmployeeService(tenant_scope)


class EmployeeController(Controller):
    """A unit's insured employees, synced from VSS."""

    path = "/"
    tags = ["Employees"]
    dependencies = {"employees": Provide(provide_employees, sync_to_thread=False)}

    @post(
        "/units/{unit_id:uuid}/employee-syncs",
        operation_id="startEmployeeSync",
        summary="Sync the unit's insured employees from VSS (runs as a job; follow its id)",
        guards=[requires(Role.HR)],
        status_code=202,
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        unit_id: FromPath[uuid.UUID],
        employees: NamedDependency[EmployeeService],
        principal: NamedDependency[Principal],
    ) -> EmployeeSyncOut:
        started = await employees.start(unit_id, f"user:{principal.user_id}")
        try:
            await enqueue_sync(request.app.state.redis_pool, principal.tenant_id, started.id)
        except Exception:  # Redis down: the reconciliation cron enqueues it once it is back
            log.warning("employee_sync_not_enqueued", sync_id=str(started.id), exc_info=True)
        return started

    @get(
        "/employee-syncs/{sync_id:uuid}",
        operation_id="getEmployeeSync",
        summary="An employee sync: its progress, then its result",
    )
    async def get_sync(
        self, sync_id: FromPath[uuid.UUID], employees: NamedDependency[EmployeeService]
    ) -> EmployeeSyncOut:
        return await employees.get_sync(sync_id)

    @get(
        "/units/{unit_id:uuid}/employees",
        operation_id="listEmployees",
        summary="The unit's employees, filtered, a page at a time",
    )
    async def list_employees(
        self,
        unit_id: FromPath[uuid.UUID],
        employees: NamedDependency[EmployeeService],
        name: QueryText = None,
        social_insurance_number: QueryText = None,
        status: QueryText = None,
        position: QueryText = None,
        at_vss: FromQuery[bool | None] = None,
        cursor: QueryText = None,
        limit: FromQuery[int] = 100,
    ) -> EmployeePageOut:
        wanted = EmployeeFilter(
            name=name,
            social_insurance_number=social_insurance_number,
            status=status,
            position=position,
            at_vss=at_vss,
            cursor=cursor,
            limit=limit,
        )
        return await employees.list(unit_id, wanted)

    @get("/employees/{employee_id:uuid}", operation_id="getEmployee", summary="One employee")
    async def get_employee(
        self, employee_id: FromPath[uuid.UUID], employees: NamedDependency[EmployeeService]
    ) -> EmployeeOut:
        return await employees.get(employee_id)
