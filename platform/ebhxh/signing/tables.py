"""Piccolo tables of signing: each unit's signature setup and its signing requests."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, Bytea, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant
from ebhxh.units.tables import InsuranceUnit


class SigningState(StrEnum):
    """Where a signing request is."""

    PENDING = "pending"
    """Prepared; waiting for the signature value from the signer type."""
    SIGNED = "signed"
    """Finished and validated."""
    FAILED = "failed"
    """The signer refused or the value did not verify; start a new request."""
    EXPIRED = "expired"
    """No value arrived in time."""


class SignatureSetup(Table, tablename="signature_setup"):
    """How a unit signs: a signer type, its settings, and the chosen certificate."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, unique=True)
    signer_type = Varchar(length=50)
    settings = JSON()
    secrets_ciphertext = Bytea()
    """The signer's secrets (e.g. the PIN) as one Fernet token; never returned."""
    certificate = Bytea()
    certificate_sha256 = Varchar(length=64)
    certificate_serial = Varchar(length=64)
    certificate_subject = Text()
    not_before = Timestamptz()
    not_after = Timestamptz()
    checked_at = Timestamptz(default=TimestamptzNow())


class SigningRequest(Table, tablename="signing_request"):
    """One document being signed; the prepared state lets it finish in any process."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(InsuranceUnit, on_delete=OnDelete.restrict, null=False, index=True)
    form = Varchar(length=32)
    state = Varchar(length=16, choices=SigningState)
    signer_type = Varchar(length=50)
    waiting_for = Varchar(length=255, null=True, default=None)
    failure_code = Varchar(length=64, null=True, default=None)
    document_sha256 = Varchar(length=64)
    prepared = Bytea()
    xml_declaration = Bytea()
    signed_pdf = Bytea(null=True, default=None)
    signer_state = Bytea(null=True, default=None)
    """What the signer type remembers while the request is pending (a transaction id, a
    SAD and its expiry, a device), as one Fernet token: it may hold secrets.
    """
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
