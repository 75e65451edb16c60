"""Hook implementations for <province>: its route (with any dated change), its office, and
any requirement of its own. See docs/plugins.md for each hook.
"""

from __future__ import annotations

from collections.abc import Mapping

from ebhxh.plugins import hookimpl
from ebhxh.provinces.model import Office, Province, ProvinceRule, Route, UnitCheck

# Copy the province (code, name, kind, formed_from) from the platform's provinces.toml, so
# that pre-2025 names resolve to it too.
PROVINCE = Province(code="00", name="<province>", kind="tỉnh")


@hookimpl
def ebhxh_province_rules() -> list[ProvinceRule]:
    """Claim the province. Add `changes=(RouteChange(route=..., effective=date(...)),)`
    when VSS announces a change of route, and `forms={Route.PAPER: (...)}` for other forms.
    """
    return [
        ProvinceRule(
            province=PROVINCE,
            route=Route.PAPER,
            office=Office(name=f"Bảo hiểm xã hội {PROVINCE.kind} {PROVINCE.name}", address=None),
        )
    ]


@hookimpl
def ebhxh_check_unit(
    province: Province, route: Route, particulars: Mapping[str, str]
) -> list[UnitCheck]:
    """Return a UnitCheck for each requirement of the office a unit does not meet."""
    if province.code != PROVINCE.code:
        return []
    return []
