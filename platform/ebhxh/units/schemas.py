"""Request and response bodies of unit declaration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.provinces.model import Route
from ebhxh.text import PRINTABLE

Line = Annotated[str, msgspec.Meta(max_length=500, pattern=PRINTABLE)]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^$|^\+?[0-9 .\-()]{6,20}$")]
IsoDate = Annotated[
    str, msgspec.Meta(pattern=r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
]


class Particulars(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the forms print about a unit beyond its name and codes (blank when unknown)."""

    registered_address: Line = ""
    contact_address: Line = ""
    phone: Phone = ""
    email: Email = ""
    unit_type: Annotated[str, msgspec.Meta(max_length=100, pattern=PRINTABLE)] = ""
    licence_number: Annotated[str, msgspec.Meta(max_length=50, pattern=PRINTABLE)] = ""
    licence_date: IsoDate = ""
    licence_issuer: Annotated[str, msgspec.Meta(max_length=255, pattern=PRINTABLE)] = ""
    contribution_frequency: Annotated[str, msgspec.Meta(max_length=50, pattern=PRINTABLE)] = ""


PARTICULAR_FIELDS = tuple(f.name for f in msgspec.structs.fields(Particulars))


class UnitDeclaration(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Declare a legal entity of the organisation as a social-insurance unit.

    Give either `first_time_participant: true` or the `unit_code` the office issued.
    """

    org_node_external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=255,
            pattern=PRINTABLE,
            description="Name as on the business licence.",
        ),
    ]
    tax_code: Annotated[
        str,
        msgspec.Meta(
            max_length=20,
            description="10 digits, or NNNNNNNNNN-NNN for a branch.",
            examples=["0100109106"],
        ),
    ]
    province: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=100,
            description="Today's or a pre-2025 province name or code, e.g. 'Hà Nội', '01'.",
            examples=["Hà Nội"],
        ),
    ]
    first_time_participant: bool = False
    unit_code: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    particulars: Particulars | None = None


class RouteChangeOut(msgspec.Struct, kw_only=True):
    """A change of route announced by the province's plugin."""

    route: Route
    effective: dt.date


class FormOut(msgspec.Struct, kw_only=True):
    """A form of the route, and the version in force."""

    form: str
    version: str


class ProvinceOut(msgspec.Struct, kw_only=True):
    """A province as served by the installed province plugins (the route as of today)."""

    code: str
    name: str
    office: str
    office_address: str | None
    route: Route
    next_route_change: RouteChangeOut | None
    forms: list[FormOut]
    formerly: list[str]


class NextStep(msgspec.Struct, kw_only=True):
    """What the tenant does next for this unit."""

    code: str
    message: str


class UnitOut(msgspec.Struct, kw_only=True):
    """A declared insurance unit."""

    id: uuid.UUID
    org_node_external_id: str
    name: str
    tax_code: str
    province: ProvinceOut
    route: Route
    first_time_participant: bool
    unit_code: str | None
    particulars: Particulars
    next_step: NextStep


class UnitList(msgspec.Struct, kw_only=True):
    """The tenant's units, by name."""

    units: list[UnitOut]


class ProvinceList(msgspec.Struct, kw_only=True):
    """Every province the installed plugins serve, by code."""

    provinces: list[ProvinceOut]
