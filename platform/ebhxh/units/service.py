"""Unit declaration (seed step 3.2) and reading a tenant's units."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from ebhxh.db.errors import is_conflict
from ebhxh.db.read_cache import ReadCache
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import Language
from ebhxh.events.model import UnitDeclared
from ebhxh.identifiers import normalise_tax_code, normalise_unit_code
from ebhxh.organisation.tables import NodeKind, OrgNode
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.provinces.model import ProvinceRule, Route
from ebhxh.units.cache import UnitListKey
from ebhxh.units.next_steps import next_step
from ebhxh.units.schemas import (
    PARTICULAR_FIELDS,
    FormOut,
    Particulars,
    ProvinceOut,
    RouteChangeOut,
    UnitDeclaration,
    UnitList,
    UnitOut,
)
from ebhxh.units.tables import InsuranceUnit


def province_out(rule: ProvinceRule, today: dt.date) -> ProvinceOut:
    """The province as a unit declared `today` sees it."""
    province = rule.province
    route = rule.route_on(today)
    change = rule.next_change(today)
    return ProvinceOut(
        code=province.code,
        name=province.name,
        office=rule.office_of.name,
        office_address=rule.office_of.address,
        route=route,
        next_route_change=(
            RouteChangeOut(route=change.route, effective=change.effective) if change else None
        ),
        forms=[FormOut(form=f.form, version=f.version) for f in rule.forms_for(route)],
        formerly=[f.name for f in province.formed_from if f.name != province.name],
    )


def check_province_requirements(
    catalogue: PluginCatalogue, rule: ProvinceRule, route: Route, particulars: Particulars
) -> None:
    """Refuse (422, naming the field) what a province plugin says the unit lacks."""
    checks = catalogue.check_unit(rule.province, route, msgspec.structs.asdict(particulars))
    if checks:
        first = checks[0]
        raise ProblemError(
            ErrorCode.PROVINCE_REQUIREMENT,
            field=f"particulars.{first.field}",
            params={"vi": first.message_vi, "en": first.message_en},
        )


class UnitService:
    """The insurance units of the scope's tenant."""

    def __init__(
        self,
        scope: TenantScope,
        catalogue: PluginCatalogue,
        language: Language,
        today: dt.date,
        lists: ReadCache[UnitListKey, UnitList] | None = None,
    ) -> None:
        self.scope = scope
        self.lists = lists
        """Where read lists are kept between requests (the API's `Runtime.unit_lists`)."""
        self.catalogue = catalogue
        self.provinces = catalogue.provinces
        self.language = language
        self.today = today
        """The day in Vietnam: a dated change of route applies to units declared from it."""

    async def declare(self, data: UnitDeclaration) -> tuple[UnitOut, UnitDeclared]:
        """Validate and store a declaration; 422 names the field at fault, 409 a clash."""
        tax_code = normalise_tax_code(data.tax_code)
        unit_code = self._participation(data)
        resolved = self.provinces.resolve(data.province)
        if resolved is None:
            raise ProblemError(
                ErrorCode.PROVINCE_UNKNOWN, field="province", params={"value": data.province}
            )
        rule = resolved.rule
        route = rule.route_on(self.today)
        check_province_requirements(self.catalogue, rule, route, data.particulars or Particulars())
        async with self.scope.transaction():
            node = await self._legal_entity(data.org_node_external_id, tax_code)
            await self._refuse_clash(node["id"], data.org_node_external_id, tax_code)
            unit = self.scope.new(
                InsuranceUnit,
                org_node=node["id"],
                name=data.name.strip(),
                tax_code=tax_code,
                province_code=rule.province.code,
                route=route.value,
                unit_code=unit_code,
                first_time_participant=data.first_time_participant,
                **msgspec.structs.asdict(data.particulars or Particulars()),
            )
            try:
                await self.scope.insert(InsuranceUnit, unit)
            except Exception as exc:
                if is_conflict(exc):
                    raise ProblemError(ErrorCode.CONFLICT, status=409) from exc
                raise
        out = await self.get(unit.id)
        event = UnitDeclared(
            tenant_id=str(self.scope.tenant_id),
            unit_id=str(unit.id),
            province_code=rule.province.code,
            route=route.value,
        )
        return out, event

    async def list(self) -> UnitList:
        key = UnitListKey(self.scope.tenant_id, self.language, self.today)
        if self.lists is None:
            return await self._list()
        if (cached := self.lists.get(key)) is not None:
            return cached
        mark = self.lists.mark()
        listed = await self._list()
        self.lists.put(key, self.scope.tenant_id, mark, listed)
        return listed

    async def _list(self) -> UnitList:
        rows = await self._rows().order_by(InsuranceUnit.name)
        return UnitList(units=[self._row_out(row) for row in rows])

    async def get(self, unit_id: uuid.UUID) -> UnitOut:
        row = await self._rows().where(InsuranceUnit.id == unit_id).first()
        if row is None:
            raise ProblemError(ErrorCode.UNIT_NOT_FOUND, status=404)
        return self._row_out(row)

    async def set_particulars(self, unit_id: uuid.UUID, particulars: Particulars) -> UnitOut:
        """Replace what the forms print about the unit."""
        async with self.scope.transaction():
            unit = await self.get(unit_id)
            resolved = self.provinces.resolve(unit.province.code)
            if resolved is not None:
                check_province_requirements(self.catalogue, resolved.rule, unit.route, particulars)
            values = {
                InsuranceUnit._meta.get_column_by_name(name): value
                for name, value in msgspec.structs.asdict(particulars).items()
            }
            await self.scope.update(InsuranceUnit, values).where(InsuranceUnit.id == unit_id)
        return await self.get(unit_id)

    def _participation(self, data: UnitDeclaration) -> str | None:
        has_code = bool(data.unit_code and data.unit_code.strip())
        if data.first_time_participant == has_code:
            field = "unit_code" if not data.first_time_participant else "first_time_participant"
            raise ProblemError(ErrorCode.UNIT_PARTICIPATION, field=field)
        return normalise_unit_code(data.unit_code) if data.unit_code and has_code else None

    async def _legal_entity(self, external_id: str, tax_code: str) -> dict[str, Any]:
        node: dict[str, Any] | None = (
            await self.scope.select(OrgNode, OrgNode.id, OrgNode.kind, OrgNode.tax_code)
            .where(OrgNode.external_id == external_id)
            .first()
        )
        field = "org_node_external_id"
        if node is None:
            raise ProblemError(
                ErrorCode.ORG_NODE_NOT_FOUND, field=field, params={"value": external_id}
            )
        kind = NodeKind(node["kind"])
        if not kind.is_legal_entity:
            raise ProblemError(
                ErrorCode.ORG_NODE_NOT_LEGAL_ENTITY,
                field=field,
                params={"value": external_id, "kind": kind.value},
            )
        if node["tax_code"] and node["tax_code"] != tax_code:
            raise ProblemError(
                ErrorCode.UNIT_TAX_CODE_MISMATCH,
                field="tax_code",
                params={"value": tax_code, "expected": node["tax_code"]},
            )
        return node

    async def _refuse_clash(self, node_id: Any, external_id: str, tax_code: str) -> None:
        if (
            await self.scope.objects(InsuranceUnit)
            .where(InsuranceUnit.tax_code == tax_code)
            .first()
        ):
            raise ProblemError(
                ErrorCode.UNIT_TAX_CODE_TAKEN,
                status=409,
                field="tax_code",
                params={"value": tax_code},
            )
        if await self.scope.objects(InsuranceUnit).where(InsuranceUnit.org_node == node_id).first():
            raise ProblemError(
                ErrorCode.UNIT_NODE_TAKEN,
                status=409,
                field="org_node_external_id",
                params={"value": external_id},
            )

    def _rows(self) -> Any:
        return self.scope.select(
            InsuranceUnit,
            InsuranceUnit.id,
            InsuranceUnit.org_node.external_id.as_alias("org_node_external_id"),
            InsuranceUnit.name,
            InsuranceUnit.tax_code,
            InsuranceUnit.province_code,
            InsuranceUnit.route,
            InsuranceUnit.unit_code,
            InsuranceUnit.first_time_participant,
            *(InsuranceUnit._meta.get_column_by_name(name) for name in PARTICULAR_FIELDS),
        )

    def _row_out(self, row: dict[str, Any]) -> UnitOut:
        resolved = self.provinces.resolve(row["province_code"])
        if resolved is None:  # the plugin serving it was removed since declaration
            raise ProblemError(
                ErrorCode.PROVINCE_UNKNOWN, status=409, params={"value": row["province_code"]}
            )
        route = Route(row["route"])  # fixed at declaration, whatever the rule says today
        first_time = bool(row["first_time_participant"])
        return UnitOut(
            id=uuid.UUID(str(row["id"])),
            org_node_external_id=row["org_node_external_id"],
            name=row["name"],
            tax_code=row["tax_code"],
            province=province_out(resolved.rule, self.today),
            route=route,
            first_time_participant=first_time,
            unit_code=row["unit_code"],
            particulars=Particulars(**{name: row[name] or "" for name in PARTICULAR_FIELDS}),
            next_step=next_step(
                route=route,
                first_time=first_time,
                office=resolved.rule.office_of.name,
                language=self.language,
            ),
        )
