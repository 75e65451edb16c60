"""HTTP routes of unit declaration and the provinces a unit can be in."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors.messages import Language
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.tenancy.tables import Role
from ebhxh.units.schemas import Particulars, ProvinceList, UnitDeclaration, UnitList, UnitOut
from ebhxh.units.service import UnitService, province_out


class UnitController(Controller):
    """The tenant's social-insurance units."""

    path = "/units"
    tags = ["Units"]

    @post(
        "/",
        operation_id="declareUnit",
        summary="Declare an organisation node as a social-insurance unit",
        guards=[requires(Role.HR)],
    )
    async def declare(
        self,
        data: JSONBody[UnitDeclaration],
        tenant_scope: NamedDependency[TenantScope],
        catalogue: NamedDependency[PluginCatalogue],
        language: NamedDependency[Language],
    ) -> UnitOut:
        unit, event = await UnitService(tenant_scope, catalogue.provinces, language).declare(data)
        catalogue.announce(event)
        return unit

    @get("/", operation_id="listUnits", summary="The tenant's units")
    async def list_units(
        self,
        tenant_scope: NamedDependency[TenantScope],
        catalogue: NamedDependency[PluginCatalogue],
        language: NamedDependency[Language],
    ) -> UnitList:
        return await UnitService(tenant_scope, catalogue.provinces, language).list()

    @get("/{unit_id:uuid}", operation_id="getUnit", summary="One unit")
    async def get_unit(
        self,
        unit_id: FromPath[uuid.UUID],
        tenant_scope: NamedDependency[TenantScope],
        catalogue: NamedDependency[PluginCatalogue],
        language: NamedDependency[Language],
    ) -> UnitOut:
        return await UnitService(tenant_scope, catalogue.provinces, language).get(unit_id)

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
        tenant_scope: NamedDependency[TenantScope],
        catalogue: NamedDependency[PluginCatalogue],
        language: NamedDependency[Language],
    ) -> UnitOut:
        service = UnitService(tenant_scope, catalogue.provinces, language)
        return await service.set_particulars(unit_id, data)


class ProvinceController(Controller):
    """Provinces served by the installed province plugins."""

    path = "/provinces"
    tags = ["Units"]

    @get("/", operation_id="listProvinces", summary="Provinces and the route units there take")
    async def list_provinces(self, catalogue: NamedDependency[PluginCatalogue]) -> ProvinceList:
        return ProvinceList(provinces=[province_out(r) for r in catalogue.provinces.rules()])
