"""HTTP routes of platform operators (`/operator/...`, operator tokens only), and the
tenant admin's view of the support access given on their tenant (`/support-access`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from ebhxh.auth.guards import current_operator, requires, requires_operator
from ebhxh.auth.principal import Principal
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.http.params import QueryText
from ebhxh.operators import service
from ebhxh.operators.schemas import (
    OpenedSupportGrant,
    OperatorActionList,
    SupportAccess,
    SupportGrantIn,
    SupportGrantList,
    TenantList,
)
from ebhxh.operators.tenant_overview import tenant_summaries
from ebhxh.tenancy.tables import Role


class OperatorController(Controller):
    """What the platform's support staff may do; every request is in the audit trail."""

    path = "/operator"
    tags = ["Platform operators"]
    guards = [requires_operator]

    @get("/tenants", operation_id="listTenantsForOperator", summary="Every tenant, no data")
    async def tenants(self, now: NamedDependency[dt.datetime]) -> TenantList:
        return TenantList(tenants=await tenant_summaries(now))

    @get(
        "/tenants/{slug:str}/support-grants",
        operation_id="listSupportGrants",
        summary="The support grants on a tenant",
    )
    async def grants(
        self, slug: FromPath[str], now: NamedDependency[dt.datetime]
    ) -> SupportGrantList:
        return SupportGrantList(grants=await service.grants_of(slug, now))

    @post(
        "/tenants/{slug:str}/support-grants",
        operation_id="openSupportGrant",
        summary="Act in a tenant for support: roles, a reason, minutes (token shown once)",
        status_code=201,
    )
    async def open_grant(
        self,
        slug: FromPath[str],
        data: JSONBody[SupportGrantIn],
        now: NamedDependency[dt.datetime],
        request: Request[Any, Any, Any],
    ) -> OpenedSupportGrant:
        return await service.open_grant(current_operator(request), slug, data, now)

    @delete(
        "/support-grants/{grant_id:uuid}",
        operation_id="revokeSupportGrant",
        summary="End a support grant now",
        status_code=204,
    )
    async def revoke_grant(
        self, grant_id: FromPath[uuid.UUID], now: NamedDependency[dt.datetime]
    ) -> None:
        await service.revoke_grant(grant_id, now)

    @get("/actions", operation_id="listOperatorActions", summary="The operators' audit trail")
    async def actions(
        self,
        tenant: QueryText = None,
        limit: FromQuery[int] = service.ACTIONS_SHOWN,
    ) -> OperatorActionList:
        if not 1 <= limit <= service.MAX_ACTIONS_SHOWN:
            raise ProblemError(ErrorCode.INVALID_PARAMETER, status=400, field="limit")
        return OperatorActionList(actions=await service.actions(tenant_slug=tenant, limit=limit))


class SupportAccessController(Controller):
    """A tenant's own view of the platform's support access to it."""

    path = "/support-access"
    tags = ["Tenancy"]

    @get(
        "/",
        operation_id="getSupportAccess",
        summary="Support grants on this tenant and every request made with them",
        guards=[requires(Role.ADMIN)],
    )
    async def support_access(
        self, principal: NamedDependency[Principal], now: NamedDependency[dt.datetime]
    ) -> SupportAccess:
        return await service.support_access(principal.tenant_id, now)
