"""What a province plugin returns: provinces, the route a unit there takes, and its data file.

The data file format is the project's reference `provinces.toml` (34 provinces, each with the
pre-2025 provinces it was formed from); `load_provinces_toml` reads a plugin's copy of it.
"""

from __future__ import annotations

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


class ProvinceRule(msgspec.Struct, frozen=True):
    """A plugin's claim on one province and the route it gives units there."""

    province: Province
    route: Route


class _ProvinceFile(msgspec.Struct):
    province: list[Province]


def load_provinces_toml(source: Path | Traversable) -> list[Province]:
    """Read a `provinces.toml` in the reference format (e.g. a plugin's packaged copy)."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return msgspec.convert(data, _ProvinceFile).province
