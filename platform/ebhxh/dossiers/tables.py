"""Piccolo tables of dossiers: the dossier, its audit trail, and the outbox of VSS work."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.dossiers.states import DossierState
from ebhxh.signing.tables import SigningRequest
from ebhxh.tenancy.tables import Tenant
from ebhxh.units.tables import InsuranceUnit


class Dossier(Table, tablename="dossier"):
    """A dossier of a unit; a re-registration is a new row pointing at the previous one."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=32)
    version = Integer(default=1)
    previous: ForeignKey[Dossier] = ForeignKey(
        "self", on_delete=OnDelete.restrict, null=True, default=None
    )
    state = Varchar(length=32, choices=DossierState)
    signing_request = ForeignKey(
        SigningRequest, on_delete=OnDelete.restrict, null=True, default=None
    )
    idempotency_key = Varchar(length=64, unique=True)
    receipt_id = Varchar(length=64, null=True, default=None)
    activation_email = Varchar(length=320, null=True, default=None)
    code_expires_at = Timestamptz(null=True, default=None)
    activation_attempts = Integer(default=0)
    """Codes tried against the current activation code; at 5 the dossier refuses more until
    a new code is issued (counted here, before VSS is asked, so guessing is bounded even if
    VSS itself did not lock).
    """
    reminded_for = Timestamptz(null=True, default=None)
    """The code expiry the 2-hour reminder was sent for (a new code earns a new reminder)."""
    issued_unit_code = Varchar(length=7, null=True, default=None)
    reason = Text(null=True, default=None)
    waiting_for = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DossierEvent(Table, tablename="dossier_event"):
    """One transition: who, when, from, to, why (written with the transition)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    dossier = ForeignKey(Dossier, on_delete=OnDelete.restrict, null=False, index=True)
    at = Timestamptz()
    actor = Varchar(length=100)
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32)
    reason = Text(null=True, default=None)


class OutboxJob(Table, tablename="outbox_job"):
    """Work for VSS that must happen, written in the transaction that made it necessary.

    arq carries it; the reconciliation cron re-enqueues rows whose `due_at` has passed and
    that are not done, so work lost with Redis or a killed worker is done anyway.
    """

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    dossier = ForeignKey(Dossier, on_delete=OnDelete.restrict, null=False, index=True)
    action = Varchar(length=16)
    due_at = Timestamptz(index=True)
    attempts = Integer(default=0)
    last_error = Text(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    request_id = Varchar(length=64, null=True, default=None)
    """The request that caused the work, bound to the job's logs."""
    created_at = Timestamptz(default=TimestamptzNow())
