"""Hook implementations of the sample Đà Nẵng plugin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ebhxh.plugins import hookimpl
from ebhxh.provinces.model import (
    FormerProvince,
    Office,
    Province,
    ProvinceRule,
    Route,
    RouteChange,
    UnitCheck,
)

DA_NANG = Province(
    code="48",
    name="Đà Nẵng",
    kind="thành phố",
    formed_from=(FormerProvince("48", "Đà Nẵng"), FormerProvince("49", "Quảng Nam")),
)


@hookimpl
def ebhxh_province_rules() -> list[ProvinceRule]:
    """Đà Nẵng: paper until 2027-01-01, electronic from then; the office's address."""
    return [
        ProvinceRule(
            province=DA_NANG,
            route=Route.PAPER,
            changes=(RouteChange(route=Route.ELECTRONIC, effective=dt.date(2027, 1, 1)),),
            office=Office(
                name="Bảo hiểm xã hội thành phố Đà Nẵng",
                address="Địa chỉ mẫu của gói đối tác, thành phố Đà Nẵng",
            ),
        )
    ]


@hookimpl
def ebhxh_check_unit(
    province: Province, route: Route, particulars: Mapping[str, str]
) -> list[UnitCheck]:
    """The sample office wants a phone number to call the unit back."""
    if province.code != DA_NANG.code or particulars.get("phone"):
        return []
    return [
        UnitCheck(
            field="phone",
            message_vi="BHXH Đà Nẵng (mẫu) cần số điện thoại của đơn vị.",
            message_en="The (sample) Đà Nẵng office needs the unit's phone number.",
        )
    ]
