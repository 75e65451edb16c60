"""The sandbox's own tables (bound to its own SQLite file, never the platform's database)."""

from __future__ import annotations

from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class VssDossier(Table, tablename="vss_dossier"):
    """A dossier VSS received; its id is the receipt id."""

    id = UUID(primary_key=True)
    idempotency_key = Varchar(length=200, unique=True)
    kind = Varchar(length=32)
    tax_code = Varchar(length=14, index=True)
    unit_name = Varchar(length=255)
    email = Varchar(length=320)
    provider = Varchar(length=100)
    unit_code = Varchar(length=7, null=True, default=None)
    status = Varchar(length=32)
    reason = Text(null=True, default=None)
    code_hash = Varchar(length=64, null=True, default=None)
    code_expires_at = Timestamptz(null=True, default=None)
    failed_attempts = Integer(default=0)
    deliveries = Integer(default=1)
    document_sha256 = Varchar(length=64)
    signer_sha256 = Varchar(length=64, null=True, default=None)
    """The signing certificate's SHA-256 (a provider registration records it)."""
    stopping_provider = Varchar(length=100, null=True, default=None)
    """For a stop of service: the provider the signed declaration names."""
    created_at = Timestamptz(default=TimestamptzNow())


class VssUnit(Table, tablename="vss_unit"):
    """The registry: a tax code's unit code and the provider it is registered with."""

    tax_code = Varchar(length=14, primary_key=True)
    unit_code = Varchar(length=7, null=True, default=None)
    provider = Varchar(length=100, null=True, default=None)
    provider_certificate_sha256 = Varchar(length=64, null=True, default=None)
    """The certificate the unit registered with its provider; a stop must be signed with it."""


class VssWorkforce(Table, tablename="vss_workforce"):
    """A unit's insured employees: how many were generated, and the knob's rounds since
    (`workforce.Change` as JSON), from which any page is computed.
    """

    unit_code = Varchar(length=7, primary_key=True)
    size = Integer(default=0)
    changes = Text(default="[]")


SANDBOX_TABLES = (VssDossier, VssUnit, VssWorkforce)
