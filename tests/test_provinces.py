"""Province plugins (hook `ebhxh_province_rules`) and the registry's name/code resolution."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.clock import FixedClock
from ebhxh.plugins import hookimpl
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.plugins.manager import load_plugins
from ebhxh.provinces import Province, ProvinceClaimConflict, ProvinceRule, Route
from ebhxh.settings import Settings
from ebhxh.units.schemas import PARTICULAR_FIELDS
from tests.conftest import HANOI_TREE, HQ_DECLARATION, tenant_on


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


DA_NANG = "48"


def _da_nang_partner() -> types.ModuleType:
    """The partner kit's sample plugin (tests/partner_plugin), registered in-process: Đà Nẵng
    goes electronic on 2027-01-01, has an office address, and wants the unit's phone.
    """
    from tests.partner_plugin.ebhxh_province_sample_danang import plugin

    return plugin


def test_a_specific_claim_takes_a_province_over_from_the_paper_fallback() -> None:
    catalogue = PluginCatalogue.build(load_plugins(extra=[("partner-danang", _da_nang_partner())]))
    assert len(catalogue.provinces.rules()) == 34
    assert catalogue.provinces.claimed_by(DA_NANG) == "partner-danang"
    assert catalogue.provinces.claimed_by("79") == "ebhxh-province-paper"
    quang_nam = catalogue.provinces.resolve("Quảng Nam")  # the former name follows the claim
    assert quang_nam is not None and quang_nam.rule.office_of.address is not None


@pytest.mark.parametrize(
    ("utc", "route"),
    [
        (dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC), "paper"),  # 23:59 in Vietnam
        (dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC), "electronic"),  # 00:00 on the 1st
    ],
)
async def test_a_date_switched_rule_routes_by_the_day_in_vietnam(
    settings: Settings, utc: dt.datetime, route: str
) -> None:
    plugins = load_plugins(extra=[("partner-danang", _da_nang_partner())])
    app = create_app(settings, plugins=plugins, clock=FixedClock(utc), configure_logs=False)
    async with AsyncTestClient(app=app) as client:
        tenant = tenant_on(client)
        provinces = (await client.get("/provinces", headers=tenant.headers)).json()
        da_nang = next(p for p in provinces["provinces"] if p["code"] == DA_NANG)
        assert da_nang["route"] == route
        change = da_nang["next_route_change"]
        assert change == (
            {"route": "electronic", "effective": "2027-01-01"} if route == "paper" else None
        )
        await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
        declaration = {**HQ_DECLARATION, "province": "Quảng Nam"}
        refused = await client.post("/units", json=declaration, headers=tenant.headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "province_requirement")
        assert refused.json()["field"] == "particulars.phone"
        assert "số điện thoại" in refused.json()["detail"]
        declaration["particulars"] = {"phone": "0236 3822 123"}
        declared = await client.post("/units", json=declaration, headers=tenant.headers)
        assert declared.status_code == 201, declared.text
        unit = declared.json()
        assert (unit["route"], unit["province"]["code"]) == (route, DA_NANG)
        assert unit["province"]["office_address"].startswith("Địa chỉ mẫu của gói đối tác")
        expected_forms = 1 if route == "paper" else 2
        assert len(unit["province"]["forms"]) == expected_forms


def test_ebhxh_check_unit_objections_are_collected_from_every_plugin() -> None:
    catalogue = PluginCatalogue.build(load_plugins(extra=[("partner-danang", _da_nang_partner())]))
    resolved = catalogue.provinces.resolve(DA_NANG)
    assert resolved is not None
    blank = dict.fromkeys(PARTICULAR_FIELDS, "")
    [check] = catalogue.check_unit(resolved.province, Route.PAPER, blank)
    assert check.field == "phone"
    assert catalogue.check_unit(resolved.province, Route.PAPER, {**blank, "phone": "0236"}) == []
    hanoi = catalogue.provinces.resolve("01")
    assert hanoi is not None
    assert catalogue.check_unit(hanoi.province, Route.ELECTRONIC, blank) == []


def test_every_province_and_former_name_gets_its_route_today(catalogue: PluginCatalogue) -> None:
    today = dt.date(2026, 11, 25)
    routes = {}
    for rule in catalogue.provinces.rules():
        names = [rule.province.name, *(f.name for f in rule.province.formed_from)]
        for name in names:
            resolved = catalogue.provinces.resolve(name)
            assert resolved is not None, name
            routes[name] = resolved.rule.route_on(today)
    assert len(routes) >= 34 + 28
    electronic = sorted(name for name, route in routes.items() if route is Route.ELECTRONIC)
    assert electronic == ["Hà Nội"]
