"""Hook implementations: outside Hà Nội, a unit code is obtained with paper forms.

These claims are fallbacks: a partner's plugin that claims one of these provinces (say,
electronic from a date) takes it over without a conflict.
"""

from __future__ import annotations

from importlib.resources import files

from ebhxh.plugins import hookimpl
from ebhxh.provinces.model import ProvinceRule, Route, load_provinces_toml


@hookimpl
def ebhxh_province_rules() -> list[ProvinceRule]:
    """The 33 provinces where VSS does not take unit-code registration electronically."""
    provinces = load_provinces_toml(files(__package__).joinpath("provinces.toml"))
    return [ProvinceRule(province=p, route=Route.PAPER, fallback=True) for p in provinces]
