"""Hook implementations: Hà Nội takes the electronic unit-code route."""

from __future__ import annotations

from importlib.resources import files

from ebhxh.plugins import hookimpl
from ebhxh.provinces.model import ProvinceRule, Route, load_provinces_toml


@hookimpl
def ebhxh_province_rules() -> list[ProvinceRule]:
    """Hà Nội: first-time units register for a unit code online."""
    provinces = load_provinces_toml(files(__package__).joinpath("provinces.toml"))
    return [ProvinceRule(province=p, route=Route.ELECTRONIC) for p in provinces]
