"""Piccolo tables of tenancy: tenants, users, memberships and hashed API tokens.

Business data never cascades away: every foreign key restricts deletion, so removing a
tenant or user with data is an explicit, reviewed operation.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(StrEnum):
    """What a member of a tenant may do."""

    ADMIN = "admin"
    """Everything in the tenant, including members and tokens."""
    HR = "hr"
    """Organisation, units and employees."""
    SIGNER = "signer"
    """Signs dossiers with the unit's signature."""
    VIEWER = "viewer"
    """Reads only."""


class Tenant(Table, tablename="tenant"):
    """A customer company (it may hold several legal entities)."""

    id = UUID(primary_key=True)
    slug = Varchar(length=63, unique=True)
    name = Varchar(length=255)
    created_at = Timestamptz(default=TimestamptzNow())
    enabled_plugins = JSON(null=True, default=None)
    """Distributions whose signer types the tenant may use (a JSON list); null: every one."""
    notification_emails = JSON(default="[]")
    """Addresses told about the tenant's dossiers besides its admins and HR (a JSON list)."""
    manifest = Varchar(length=255, null=True, default=None)
    """The manifest file that declares this tenant (`ebhxh tenants apply`), if any."""


class User(Table, tablename="app_user"):
    """A person; what they may do in each tenant is in `Membership`."""

    id = UUID(primary_key=True)
    email = Varchar(length=320, unique=True)
    display_name = Varchar(length=255)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    """One role of one user in one tenant."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    role = Varchar(length=16, choices=Role)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table, tablename="api_token"):
    """A machine credential of one user in one tenant; only its SHA-256 is stored."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
