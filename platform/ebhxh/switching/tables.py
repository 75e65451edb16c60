"""Piccolo tables of switches away from competing providers, and their audit trail."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.dossiers.tables import Dossier
from ebhxh.switching.states import SwitchState
from ebhxh.tenancy.tables import Tenant
from ebhxh.units.tables import InsuranceUnit


class ProviderSwitch(Table, tablename="provider_switch"):
    """A unit leaving another provider so that its service registration with us can proceed."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, index=True)
    registration = ForeignKey(Dossier, on_delete=OnDelete.restrict, null=False)
    """The service registration that waits for the stop."""
    provider_key = Varchar(length=64)
    """The matching plugin's descriptor (the generic one for an unknown provider)."""
    reported_provider = Varchar(length=100)
    """The provider's name exactly as VSS reported it."""
    state = Varchar(length=32, choices=SwitchState)
    stop_dossier = ForeignKey(Dossier, on_delete=OnDelete.restrict, null=True, default=None)
    """The latest stop-of-service dossier (procedure "dossier")."""
    stop_reason = Text(null=True, default=None)
    """The unit's own reason, printed on the stop form."""
    reason = Text(null=True, default=None)
    """Why VSS refused the stop, while it stands refused."""
    waiting_for = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProviderSwitchEvent(Table, tablename="provider_switch_event"):
    """One step of a switch: who, when, from, to, why."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    switch = ForeignKey(ProviderSwitch, on_delete=OnDelete.restrict, null=False, index=True)
    at = Timestamptz()
    actor = Varchar(length=100)
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32)
    reason = Text(null=True, default=None)
