"""HTTP routes of provider switches: a unit's switches, one switch, request the stop."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.controller import answered, provide_dossiers
from ebhxh.dossiers.service import DossierService
from ebhxh.switching.schemas import StopRequestIn, SwitchList, SwitchOut
from ebhxh.switching.service import SwitchService
from ebhxh.tenancy.tables import Role


def provide_switches(
    request: Request[Any, Any, Any], tenant_scope: NamedDependency[TenantScope]
) -> SwitchService:
    dossiers: DossierService = provide_dossiers(request, tenant_scope)
    return SwitchService(dossiers)


class SwitchController(Controller):
    """Leaving a competing provider so that the unit's registration with us can proceed."""

    path = "/"
    tags = ["Provider switches"]
    dependencies = {"switches": Provide(provide_switches, sync_to_thread=False)}

    @get(
        "/units/{unit_id:uuid}/provider-switches",
        operation_id="listProviderSwitches",
        summary="A unit's switches away from other providers, newest first",
    )
    async def list_switches(
        self, unit_id: FromPath[uuid.UUID], switches: NamedDependency[SwitchService]
    ) -> SwitchList:
        return await switches.list_for_unit(unit_id)

    @get(
        "/provider-switches/{switch_id:uuid}",
        operation_id="getProviderSwitch",
        summary="A switch: the old provider, how to stop it, where it waits and its history",
    )
    async def get_switch(
        self, switch_id: FromPath[uuid.UUID], switches: NamedDependency[SwitchService]
    ) -> SwitchOut:
        return await switches.get(switch_id)

    @post(
        "/provider-switches/{switch_id:uuid}/stop",
        operation_id="requestProviderStop",
        summary="Stop the old provider's service: sign and submit the stop dossier, or (for "
        "a provider stopped in its own portal) say it is done so VSS is checked",
        guards=[requires(Role.SIGNER)],
        status_code=200,
    )
    async def request_stop(
        self,
        switch_id: FromPath[uuid.UUID],
        data: JSONBody[StopRequestIn],
        switches: NamedDependency[SwitchService],
        principal: NamedDependency[Principal],
    ) -> SwitchOut:
        return await answered(
            switches.request_stop(switch_id, data.reason, f"user:{principal.user_id}")
        )
