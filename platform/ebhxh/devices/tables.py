"""Piccolo tables of paired devices and their pairing codes (both stored as hashes)."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant, User


class DevicePairing(Table, tablename="device_pairing"):
    """A one-time, short-lived code a user asked for, to pair one device."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    code_hash = Varchar(length=64, unique=True)
    """SHA-256 of the code; the code itself is shown once and never stored."""
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Device(Table, tablename="device"):
    """A paired device: it acts for `user` in `tenant` until revoked."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=100)
    credential_hash = Varchar(length=64, unique=True)
    """SHA-256 of the device credential (random 256 bits, so a plain hash suffices)."""
    credential_prefix = Varchar(length=16)
    """The credential's first characters, to tell devices apart in a list."""
    token = Varchar(length=200)
    """The token the device last reported (label and serial), for people."""
    certificates = JSON(default="[]")
    """The DER certificates on the token as the device last reported them (base64)."""
    certificates_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
