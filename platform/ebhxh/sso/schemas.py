"""Schemas of single sign-on: a tenant's identity-provider configuration (in memory, with
the plaintext secret), its API shapes (the secret goes in, never out) and the signed-in
principal as `/auth/me` shows it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from ebhxh.tenancy.tables import Role

Issuer = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s?#]+$", max_length=500)]
Domain = Annotated[
    str,
    msgspec.Meta(pattern=r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
]
Scope = Annotated[str, msgspec.Meta(pattern=r"^[\x21\x23-\x5b\x5d-\x7e]{1,100}$")]
DEFAULT_SCOPES = ("openid", "email", "profile")


class IdentityProviderConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant's OpenID provider; `client_secret` is plaintext and lives in memory only."""

    issuer: Issuer
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    client_secret: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    scopes: tuple[Scope, ...] = DEFAULT_SCOPES
    roles_claim: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "groups"
    role_mapping: dict[str, tuple[Role, ...]]
    """An IdP group or role value (in `roles_claim`) -> the roles it gives here."""
    email_domains: tuple[Domain, ...] = ()
    """People whose email is at these domains may start signing in with their email."""

    def __repr__(self) -> str:  # never let the secret reach a log line or traceback
        return f"IdentityProviderConfig(issuer={self.issuer!r}, client_id={self.client_id!r})"


class IdentityProviderIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`PUT /identity-provider`: the secret may be left out to keep the stored one."""

    issuer: Issuer
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    client_secret: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    scopes: tuple[Scope, ...] = DEFAULT_SCOPES
    roles_claim: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "groups"
    role_mapping: dict[str, tuple[Role, ...]] = {}
    email_domains: tuple[Domain, ...] = ()


class IdentityProviderOut(msgspec.Struct, frozen=True, kw_only=True):
    """The tenant's provider as the API shows it: whether a secret is set, never the secret."""

    issuer: str
    client_id: str
    client_secret_set: bool
    scopes: tuple[str, ...]
    roles_claim: str
    role_mapping: dict[str, tuple[Role, ...]]
    email_domains: tuple[str, ...]
    redirect_uri: str
    """Register this address with the provider as the client's redirect URI."""


class SignedInOut(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /auth/me`: who is signed in, where, with which roles."""

    user_id: uuid.UUID
    email: str
    display_name: str
    tenant_id: uuid.UUID
    tenant: str
    roles: tuple[Role, ...]
    via: str
    """`session` (a browser signed in with SSO) or `token` (an API token)."""
