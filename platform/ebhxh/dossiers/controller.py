"""HTTP routes of dossiers: create (sign and queue), activate, new code, re-register,
record the issued unit code, and look the unit up at VSS.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.jobs import enqueuer
from ebhxh.dossiers.schemas import (
    ActivationIn,
    DossierIn,
    DossierList,
    DossierOut,
    NewCodeIn,
    UnitCodeIn,
    VssRecordOut,
)
from ebhxh.dossiers.service import DossierService
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.gateway.contract import GatewayRefused, GatewayUnavailable
from ebhxh.runtime import Runtime
from ebhxh.tenancy.tables import Role
from ebhxh.units.lookup import unit_row

T = TypeVar("T")


def provide_dossiers(
    request: Request[Any, Any, Any], tenant_scope: NamedDependency[TenantScope]
) -> DossierService:
    runtime: Runtime = request.app.state.runtime
    return runtime.dossiers(tenant_scope, enqueuer(request.app.state.redis_pool))


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}"


async def answered(work: Awaitable[T]) -> T:
    """VSS not answering a synchronous call is a 503 with Retry-After, VSS saying no a 409;
    never a 500.
    """
    try:
        return await work
    except GatewayUnavailable as exc:
        raise ProblemError(
            ErrorCode.VSS_UNAVAILABLE, status=503, headers={"Retry-After": "30"}
        ) from exc
    except GatewayRefused as exc:
        raise ProblemError(
            ErrorCode.VSS_REFUSED, status=409, params={"reason": exc.reason}
        ) from exc


class DossierController(Controller):
    """A unit's dossiers with VSS."""

    path = "/"
    tags = ["Dossiers"]
    dependencies = {"dossiers": Provide(provide_dossiers, sync_to_thread=False)}

    @post(
        "/units/{unit_id:uuid}/dossiers",
        operation_id="createDossier",
        summary="Make a dossier, sign it with the unit's signature, and submit it to VSS",
        guards=[requires(Role.SIGNER)],
    )
    async def create(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[DossierIn],
        dossiers: NamedDependency[DossierService],
        principal: NamedDependency[Principal],
    ) -> DossierOut:
        return await answered(dossiers.create(unit_id, data.kind, _actor(principal)))

    @get("/units/{unit_id:uuid}/dossiers", operation_id="listDossiers", summary="A unit's dossiers")
    async def list_dossiers(
        self, unit_id: FromPath[uuid.UUID], dossiers: NamedDependency[DossierService]
    ) -> DossierList:
        return await dossiers.list_for_unit(unit_id)

    @get(
        "/dossiers/{dossier_id:uuid}",
        operation_id="getDossier",
        summary="A dossier and its history",
    )
    async def get_dossier(
        self, dossier_id: FromPath[uuid.UUID], dossiers: NamedDependency[DossierService]
    ) -> DossierOut:
        return await dossiers.get(dossier_id)

    @post(
        "/dossiers/{dossier_id:uuid}/activation",
        operation_id="activateDossier",
        summary="Activate with the code VSS emailed (valid 24 hours, 5 tries)",
        guards=[requires(Role.HR, Role.SIGNER)],
        status_code=200,
    )
    async def activate(
        self,
        dossier_id: FromPath[uuid.UUID],
        data: JSONBody[ActivationIn],
        dossiers: NamedDependency[DossierService],
        principal: NamedDependency[Principal],
    ) -> DossierOut:
        return await answered(dossiers.activate(dossier_id, data.code, _actor(principal)))

    @post(
        "/dossiers/{dossier_id:uuid}/activation-code",
        operation_id="requestActivationCode",
        summary="Ask for a new activation code, optionally at a corrected email address",
        guards=[requires(Role.HR, Role.SIGNER)],
        status_code=200,
    )
    async def new_code(
        self,
        dossier_id: FromPath[uuid.UUID],
        data: JSONBody[NewCodeIn],
        dossiers: NamedDependency[DossierService],
        principal: NamedDependency[Principal],
    ) -> DossierOut:
        return await answered(dossiers.new_code(dossier_id, data.email, _actor(principal)))

    @post(
        "/dossiers/{dossier_id:uuid}/re-registration",
        operation_id="reRegisterDossier",
        summary="After a rejection: a new version of the dossier, signed and submitted",
        guards=[requires(Role.SIGNER)],
    )
    async def re_register(
        self,
        dossier_id: FromPath[uuid.UUID],
        dossiers: NamedDependency[DossierService],
        principal: NamedDependency[Principal],
    ) -> DossierOut:
        return await dossiers.re_register(dossier_id, _actor(principal))

    @put(
        "/units/{unit_id:uuid}/unit-code",
        operation_id="recordUnitCode",
        summary="Record the unit code the office issued, and sign and submit the change dossier",
        guards=[requires(Role.SIGNER)],
    )
    async def record_unit_code(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[UnitCodeIn],
        dossiers: NamedDependency[DossierService],
        principal: NamedDependency[Principal],
    ) -> DossierOut:
        return await dossiers.record_unit_code(unit_id, data.unit_code, _actor(principal))

    @get(
        "/units/{unit_id:uuid}/vss-record",
        operation_id="lookupUnitAtVss",
        summary="Look the unit's tax code up at VSS (its unit code and provider)",
    )
    async def lookup(
        self,
        unit_id: FromPath[uuid.UUID],
        dossiers: NamedDependency[DossierService],
        tenant_scope: NamedDependency[TenantScope],
    ) -> VssRecordOut:
        unit = await unit_row(tenant_scope, unit_id)
        record = await answered(dossiers.gateway.lookup_unit(unit["tax_code"]))
        return VssRecordOut(
            tax_code=record.tax_code, unit_code=record.unit_code, provider=record.provider
        )
