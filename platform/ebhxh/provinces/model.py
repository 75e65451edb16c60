"""What a province plugin returns: provinces, the route a unit there takes, and its data file.

The data file format is the project's reference `provinces.toml` (34 provinces, each with the
pre-2025 provinces it was formed from); `load_provinces_toml` reads a plugin's copy of it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path

import msgspec


class Route(StrEnum):
    """How a first-time unit obtains its unit code."""

    ELECTRONIC = "electronic"
    """Register-unit-code dossier signed and submitted to VSS online."""
    PAPER = "paper"
    """Forms printed, signed by hand and sent to the office by post or at its one-stop desk."""


class FormerProvince(msgspec.Struct, frozen=True):
    """A pre-2025 province that a current province absorbed (or continues)."""

    code: str
    name: str


class Province(msgspec.Struct, frozen=True):
    """A provincial-level unit since 2025-07-01."""

    code: str
    name: str
    kind: str  # "tỉnh" or "thành phố"
    formed_from: tuple[FormerProvince, ...] = ()

    @property
    def office_name(self) -> str:
        """The provincial social-insurance office: "Bảo hiểm xã hội <kind> <name>"."""
        return f"Bảo hiểm xã hội {self.kind} {self.name}"


class Office(msgspec.Struct, frozen=True, kw_only=True):
    """The social-insurance office that receives a unit's paper dossier."""

    name: str
    address: str | None = None
    """Street address, where the plugin knows it (the cover page prints it)."""


class FormVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A form a route needs, and the version (the decision that issued it) in force."""

    form: str
    """A form kind of the platform (`ebhxh.documents.forms.FormKind` value, e.g. "tk3-ts")."""
    version: str
    """E.g. "Mẫu TK3-TS ban hành kèm Quyết định 595/QĐ-BHXH"."""


class RouteChange(msgspec.Struct, frozen=True, kw_only=True):
    """From `effective` on (a date in Vietnam), units of the province take `route`."""

    route: Route
    effective: dt.date


class UnitCheck(msgspec.Struct, frozen=True, kw_only=True):
    """A province's extra requirement a unit does not meet: the field, and why."""

    field: str
    message_vi: str
    message_en: str


TK3_TS = FormVersion(
    form="tk3-ts",
    version="Mẫu TK3-TS, Quyết định 595/QĐ-BHXH (sửa đổi bởi 505/QĐ-BHXH, 490/QĐ-BHXH)",
)
PAPER_FORMS = (TK3_TS,)
ELECTRONIC_FORMS = (
    TK3_TS,
    FormVersion(form="01-dk-gd", version="Mẫu 01/ĐK-GD, Nghị định 166/2016/NĐ-CP; 04/ĐK-IVAN"),
)


class ProvinceRule(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin's claim on one province: the route a first-time unit there takes (and from
    which date it changes), its office, and the forms of each route.

    A `fallback` claim (the built-in paper plugin's) yields to another plugin's claim on the
    same province; two claims of the same kind on one province stop the platform.
    """

    province: Province
    route: Route
    """The route until the first of `changes` takes effect."""
    changes: tuple[RouteChange, ...] = ()
    office: Office | None = None
    """Default: "Bảo hiểm xã hội <kind> <name>", address unknown."""
    forms: dict[Route, tuple[FormVersion, ...]] = {}
    """Default: TK3-TS for paper; TK3-TS and 01/ĐK-GD + 04/ĐK-IVAN for electronic."""
    fallback: bool = False

    def route_on(self, day: dt.date) -> Route:
        """The route a unit declared on `day` takes."""
        route = self.route
        for change in sorted(self.changes, key=lambda c: c.effective):
            if change.effective <= day:
                route = change.route
        return route

    def next_change(self, day: dt.date) -> RouteChange | None:
        """The first change still ahead of `day`, if any (shown to users)."""
        ahead = sorted((c for c in self.changes if c.effective > day), key=lambda c: c.effective)
        return ahead[0] if ahead else None

    @property
    def office_of(self) -> Office:
        return self.office or Office(name=self.province.office_name)

    def forms_for(self, route: Route) -> tuple[FormVersion, ...]:
        if route in self.forms:
            return self.forms[route]
        return PAPER_FORMS if route is Route.PAPER else ELECTRONIC_FORMS


class _ProvinceFile(msgspec.Struct):
    province: list[Province]


def load_provinces_toml(source: Path | Traversable) -> list[Province]:
    """Read a `provinces.toml` in the reference format (e.g. a plugin's packaged copy)."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return msgspec.convert(data, _ProvinceFile).province
