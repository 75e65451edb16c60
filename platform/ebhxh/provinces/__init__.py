"""Provinces: the reference shape plugins describe them in, and the registry that resolves them.

Province plugins (hook `ebhxh_province_rules`) each claim provinces and say which route a
unit there takes; `ProvinceRegistry` gathers the claims, refuses a province claimed twice,
and resolves what a user types (today's or a pre-2025 name or code, with or without
diacritics) to today's province.
"""

from ebhxh.provinces.model import FormerProvince, Province, ProvinceRule, Route
from ebhxh.provinces.registry import ProvinceClaimConflict, ProvinceRegistry, ResolvedProvince

__all__ = [
    "FormerProvince",
    "Province",
    "ProvinceClaimConflict",
    "ProvinceRegistry",
    "ProvinceRule",
    "ResolvedProvince",
    "Route",
]
