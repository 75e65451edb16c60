"""Province plugins (hook `ebhxh_province_rules`) and the registry's name/code resolution."""

from __future__ import annotations

import types

import pytest

from ebhxh.plugins import hookimpl
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.plugins.manager import load_plugins
from ebhxh.provinces import Province, ProvinceClaimConflict, ProvinceRule, Route


@pytest.fixture(scope="module")
def catalogue() -> PluginCatalogue:
    return PluginCatalogue.build(load_plugins())


def test_ebhxh_province_rules_of_the_built_ins_serve_all_34_provinces(
    catalogue: PluginCatalogue,
) -> None:
    rules = catalogue.provinces.rules()
    assert len(rules) == 34
    electronic = [r.province.name for r in rules if r.route is Route.ELECTRONIC]
    assert electronic == ["Hà Nội"]
    assert catalogue.provinces.claimed_by("01") == "ebhxh-province-hanoi"
    assert {catalogue.provinces.claimed_by(r.province.code) for r in rules} == {
        "ebhxh-province-hanoi",
        "ebhxh-province-paper",
    }


def test_every_former_province_resolves_by_name_and_code(catalogue: PluginCatalogue) -> None:
    formers = [(r.province, f) for r in catalogue.provinces.rules() for f in r.province.formed_from]
    assert len(formers) == 63
    assert len({f.code for _, f in formers}) == 63
    for province, former in formers:
        by_name = catalogue.provinces.resolve(former.name)
        by_code = catalogue.provinces.resolve(former.code)
        assert by_name is not None and by_name.province.code == province.code, former
        assert by_code is not None and by_code.province.code == province.code, former


@pytest.mark.parametrize(
    ("typed", "code", "former"),
    [
        ("Quảng Nam", "48", "Quảng Nam"),
        ("quang nam", "48", "Quảng Nam"),
        ("49", "48", "Quảng Nam"),
        ("Đà Nẵng", "48", None),
        ("Thành phố Hà Nội", "01", None),
        ("ha noi", "01", None),
        ("TP. Hồ Chí Minh", "79", None),
        ("Bà Rịa - Vũng Tàu", "79", "Bà Rịa - Vũng Tàu"),
        ("Thanh Hoá", "38", None),
        ("Hoà Bình", "25", "Hòa Bình"),
        ("Thừa Thiên Huế", "46", "Thừa Thiên Huế"),
        ("Yên Bái", "15", "Yên Bái"),
        ("10", "15", None),
    ],
)
def test_resolution_is_forgiving_but_exact(
    catalogue: PluginCatalogue, typed: str, code: str, former: str | None
) -> None:
    resolved = catalogue.provinces.resolve(typed)
    assert resolved is not None
    assert resolved.province.code == code
    assert resolved.matched_former == former


@pytest.mark.parametrize("typed", ["Atlantis", "99", "", "Hà"])
def test_unknown_provinces_do_not_resolve(catalogue: PluginCatalogue, typed: str) -> None:
    assert catalogue.provinces.resolve(typed) is None


def _claiming(code: str) -> types.SimpleNamespace:
    province = Province(code=code, name="Hà Nội", kind="thành phố")

    @hookimpl
    def ebhxh_province_rules() -> list[ProvinceRule]:
        return [ProvinceRule(province=province, route=Route.PAPER)]

    return types.SimpleNamespace(ebhxh_province_rules=ebhxh_province_rules)


def test_a_province_claimed_twice_stops_start_naming_both_distributions() -> None:
    plugins = load_plugins(
        allow=["ebhxh-province-hanoi"], extra=[("partner-hanoi", _claiming("01"))]
    )
    with pytest.raises(ProvinceClaimConflict) as raised:
        PluginCatalogue.build(plugins)
    assert "ebhxh-province-hanoi" in str(raised.value)
    assert "partner-hanoi" in str(raised.value)


def test_the_office_is_named_after_the_province(catalogue: PluginCatalogue) -> None:
    resolved = catalogue.provinces.resolve("Đà Nẵng")
    assert resolved is not None
    assert resolved.province.office_name == "Bảo hiểm xã hội thành phố Đà Nẵng"
