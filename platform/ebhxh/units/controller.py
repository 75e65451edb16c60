"""HTTP routes of unit declaration and the provinces a unit can be in."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.clock import today_in_vietnam
from ebhxh.http.deps import provide_catalogue, provide_language, provide_scope
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.runtime import Runtime
from ebhxh.tenancy.tables import Role
from ebhxh.units.schemas import Particulars, ProvinceList, UnitDeclaration, UnitList, UnitOut
from ebhxh.units.service import UnitService, province_out


def _today(request: Request[Any, Any, Any]) -> Any:
    runtime: Runtime = request.app.state.runtime
    return today_in_vietnam(runtime.clock)


def provide_units(request: Request[Any, Any, Any]) -> UnitService:
    # Built from the request alone: a provider with two or more named dependencies makes
    # Litestar resolve them in an anyio task group, which cost more than a cached unit
    # list itself (`bench.unit_list`).
    return UnitService(
        provide_scope(request),
        provide_catalogue(request),
        provide_language(request),
        _today(request),
        request.app.state.runtime.unit_lists,
    )


class UnitController(Controller):
    """The tenant's social-insurance units."""

    path = "/units"
    tags = ["Units"]
    dependencies = {"units": Provide(provide_units, sync_to_thread=False)}

    @post(
        "/",
        operation_id="declareUnit",
        summary="Declare an organisation node as a social-insurance unit",
        guards=[requires(Role.HR)],
    )
    async def declare(
        self,
        data: JSONBody[UnitDeclaration],
        units: NamedDependency[UnitService],
        catalogue: NamedDependency[PluginCatalogue],
    ) -> UnitOut:
        unit, event = await units.declare(data)
        catalogue.announce(event)
        return unit

    @get("/", operation_id="listUnits", summary="The tenant's units")
    async def list_units(self, units: NamedDependency[UnitService]) -> UnitList:
        return await units.list()

    @get("/{unit_id:uuid}", operation_id="getUnit", summary="One unit")
    async def get_unit(
        self, unit_id: FromPath[uuid.UUID], units: NamedDependency[UnitService]
    ) -> UnitOut:
        return await units.get(unit_id)

    @put(
        "/{unit_id:uuid}/particulars",
        operation_id="setUnitParticulars",
        summary="Replace what the forms print about the unit (addresses, licence, contact)",
        guards=[requires(Role.HR)],
    )
    async def set_particulars(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[Particulars],
        units: NamedDependency[UnitService],
    ) -> UnitOut:
        return await units.set_particulars(unit_id, data)


class ProvinceController(Controller):
    """Provinces served by the installed province plugins."""

    path = "/provinces"
    tags = ["Units"]

    @get("/", operation_id="listProvinces", summary="Provinces and the route units there take")
    async def list_provinces(
        self, request: Request[Any, Any, Any], catalogue: NamedDependency[PluginCatalogue]
    ) -> ProvinceList:
        today = _today(request)
        return ProvinceList(provinces=[province_out(r, today) for r in catalogue.provinces.rules()])
