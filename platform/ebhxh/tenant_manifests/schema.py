"""The shape of a tenant manifest (`tenants/<slug>.toml`), checked field by field.

Secrets are never written in a manifest: `client_secret` is a reference, `{env = "VAR"}`
or `{file = "path"}` (a path relative to the folder the command runs in, as mounted
secrets are), resolved when the manifest is loaded. The issuer may also come from the
environment (`{env = "VAR"}`), so one manifest serves several installations.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ebhxh.tenancy.tables import Role

SLUG = r"^[a-z0-9][a-z0-9-]{1,62}$"
EMAIL = r"^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$"
DOMAIN = r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"

Url = Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2048)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^\S+$")]
Roles = Annotated[list[Role], msgspec.Meta(min_length=1)]


class EnvReference(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A value taken from an environment variable (the same manifest, several installations)."""

    env: Annotated[str, msgspec.Meta(pattern=ENV_NAME)]


class SecretReference(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where a secret comes from: exactly one of an environment variable or a file."""

    env: Annotated[str, msgspec.Meta(pattern=ENV_NAME)] | None = None
    file: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)] | None = None


class IdentityProviderManifest(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True
):
    """The tenant's OpenID provider and how its groups map to our roles."""

    issuer: Url | EnvReference
    client_id: Token
    client_secret: SecretReference
    role_mapping: Annotated[
        dict[Token, Annotated[list[Role], msgspec.Meta(min_length=1)]], msgspec.Meta(min_length=1)
    ]
    scopes: list[Token] = msgspec.field(default_factory=lambda: ["openid", "email", "profile"])
    roles_claim: Token = "groups"
    email_domains: list[Annotated[str, msgspec.Meta(pattern=DOMAIN)]] = msgspec.field(
        default_factory=list
    )


class PluginsManifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The plugin distributions whose signer types the tenant may use (absent: all)."""

    enabled: list[Token]


class NotificationsManifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who else hears about the tenant's dossiers, besides its admins and HR people."""

    emails: list[Annotated[str, msgspec.Meta(pattern=EMAIL, max_length=320)]] = msgspec.field(
        default_factory=list
    )


class TenantManifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One tenant, as its manifest declares it."""

    slug: Annotated[str, msgspec.Meta(pattern=SLUG)]
    name: Name
    identity_provider: IdentityProviderManifest | None = None
    plugins: PluginsManifest | None = None
    notifications: NotificationsManifest = msgspec.field(default_factory=NotificationsManifest)
