"""Piccolo tables of single sign-on: each tenant's identity provider and its email domains,
the IdP identities linked to users, and browser sessions (stored as hashes).
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Bytea, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant, User


class IdentityProvider(Table, tablename="identity_provider"):
    """A tenant's OpenID provider (at most one per tenant)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, unique=True)
    issuer = Varchar(length=500)
    client_id = Varchar(length=255)
    client_secret_ciphertext = Bytea()
    """The client secret under the platform's SecretBox; never returned or logged."""
    scopes = JSON(default="[]")
    roles_claim = Varchar(length=100)
    role_mapping = JSON(default="{}")
    """IdP group or role value -> list of our role names."""
    updated_at = Timestamptz(default=TimestamptzNow())


class IdentityProviderDomain(Table, tablename="identity_provider_domain"):
    """An email domain whose people sign in through the tenant's provider (unique overall)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    domain = Varchar(length=253, unique=True)


class SsoIdentity(Table, tablename="sso_identity"):
    """A person at a tenant's provider (issuer, subject) linked to one of our users.

    Unique per (tenant, issuer, subject): an identity from one tenant's provider never
    reaches a user through another tenant.
    """

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    issuer = Varchar(length=500)
    subject = Varchar(length=255)
    created_at = Timestamptz(default=TimestamptzNow())
    last_sign_in_at = Timestamptz(default=TimestamptzNow())


class SsoSession(Table, tablename="sso_session"):
    """A browser session of a user in a tenant; only the cookie's SHA-256 is stored."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    """The absolute end; the idle end is `last_seen_at` plus the idle setting."""
    ended_at = Timestamptz(null=True, default=None)
