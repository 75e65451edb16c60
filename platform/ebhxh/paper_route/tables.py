"""The paper dossier of a unit: one per unit, tracked from printed to code received."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import UUID, Date, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant
from ebhxh.units.tables import InsuranceUnit


class PaperState(StrEnum):
    """prepared -> sent -> code_received (sent may be recorded again, e.g. re-posted)."""

    PREPARED = "prepared"
    SENT = "sent"
    CODE_RECEIVED = "code_received"


class SendingChannel(StrEnum):
    """How the pack reached the office."""

    POST = "post"
    """By post; the postal tracking number lets the unit follow it."""
    DESK = "desk"
    """Handed in at the office's one-stop desk (bộ phận một cửa)."""


class PaperDossier(Table, tablename="paper_dossier"):
    """A unit's paper unit-code dossier and where it is."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, unique=True)
    state = Varchar(length=16, choices=PaperState)
    prepared_at = Timestamptz(default=TimestamptzNow())
    sent_on = Date(null=True, default=None)
    channel = Varchar(length=8, choices=SendingChannel, null=True, default=None)
    tracking_number = Varchar(length=13, null=True, default=None)
    sent_recorded_at = Timestamptz(null=True, default=None)
    unit_code = Varchar(length=7, null=True, default=None)
    code_received_at = Timestamptz(null=True, default=None)
