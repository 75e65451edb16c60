"""Load a folder of tenant manifests into desired tenants, or refuse each broken manifest
whole with the file, the field and what is wrong (nothing of a refused manifest applies).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ebhxh.sso.schemas import IdentityProviderConfig, IdentityProviderIn
from ebhxh.tenancy.tables import Role
from ebhxh.tenant_manifests.schema import (
    EnvReference,
    IdentityProviderManifest,
    SecretReference,
    TenantManifest,
)

MANIFEST_GLOB = "*.toml"


class ManifestError(msgspec.Struct, frozen=True):
    """Why one manifest is refused."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class DesiredTenant(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant as its manifest wants it, with its secret resolved (in memory only)."""

    file: str
    """The manifest's path, as the folder was named (for messages)."""
    manifest: str
    """The manifest's file name, stored with the tenant (the same however the folder is
    named)."""
    slug: str
    name: str
    identity_provider: IdentityProviderConfig | None
    enabled_plugins: tuple[str, ...] | None
    notification_emails: tuple[str, ...]


class _Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def load_folder(
    folder: Path, *, installed: Iterable[str], environ: Mapping[str, str]
) -> tuple[list[DesiredTenant], list[ManifestError]]:
    """Every `*.toml` in `folder`, in name order: the loadable ones and the refusals."""
    desired: list[DesiredTenant] = []
    errors: list[ManifestError] = []
    domains: dict[str, str] = {}
    known = frozenset(installed)
    for path in sorted(folder.glob(MANIFEST_GLOB)):
        name = str(path)
        try:
            tenant = _load(path, known, environ)
            _claim_domains(tenant, domains)
        except _Refused as refused:
            errors.append(ManifestError(name, refused.field, refused.message))
            continue
        desired.append(tenant)
    return desired, errors


def _load(path: Path, installed: frozenset[str], environ: Mapping[str, str]) -> DesiredTenant:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _Refused("(file)", f"cannot read it: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _Refused("(file)", f"not valid TOML: {exc}") from exc
    provider = raw.get("identity_provider")
    if isinstance(provider, dict) and isinstance(provider.get("client_secret"), str):
        raise _Refused(
            "identity_provider.client_secret",
            'a secret is never written in a manifest: use {env = "VAR"} or {file = "path"}',
        )
    manifest = _convert(raw)
    if manifest.slug != path.stem:
        raise _Refused("slug", f"must match the file name ({path.stem!r}), not {manifest.slug!r}")
    plugins = None
    if manifest.plugins is not None:
        unknown = sorted(set(manifest.plugins.enabled) - installed)
        if unknown:
            raise _Refused("plugins.enabled", f"not installed: {', '.join(unknown)}")
        plugins = tuple(sorted(set(manifest.plugins.enabled)))
    return DesiredTenant(
        file=str(path),
        manifest=path.name,
        slug=manifest.slug,
        name=manifest.name,
        identity_provider=(
            _identity_provider(manifest.identity_provider, environ)
            if manifest.identity_provider
            else None
        ),
        enabled_plugins=plugins,
        notification_emails=tuple(sorted(set(manifest.notifications.emails))),
    )


def _convert(raw: dict[str, Any]) -> TenantManifest:
    try:
        return msgspec.convert(raw, TenantManifest)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        # msgspec writes a dict value's place as `[...]`: the mapping itself is the field.
        field = where.rstrip("`").lstrip(".").split("[...]")[0] or "(top level)"
        if message.startswith("Invalid enum value"):
            message += f" (roles: {', '.join(role.value for role in Role)})"
        missing = re.match(r"Object missing required field `(\w+)`", message)
        if missing:
            field = f"{field}.{missing.group(1)}" if where else missing.group(1)
            message = "required"
        message = _plain(message)
        unknown = re.match(r"Object contains unknown field `(\w+)`", message)
        if unknown:
            field = f"{field}.{unknown.group(1)}" if where else unknown.group(1)
            message = "not a field of a tenant manifest"
        raise _Refused(field, message) from exc


def _identity_provider(
    manifest: IdentityProviderManifest, environ: Mapping[str, str]
) -> IdentityProviderConfig:
    if "openid" not in manifest.scopes:
        raise _Refused("identity_provider.scopes", "must include 'openid'")
    address = _issuer(manifest.issuer, environ)
    issuer = urlsplit(address)
    if issuer.scheme == "http" and not _is_loopback(issuer.hostname or ""):
        raise _Refused("identity_provider.issuer", "must be https (http only on this machine)")
    wanted = {
        "issuer": address.rstrip("/"),
        "client_id": manifest.client_id,
        "client_secret": _resolve(manifest.client_secret, environ),
        "scopes": list(manifest.scopes),
        "roles_claim": manifest.roles_claim,
        "role_mapping": {key: list(roles) for key, roles in sorted(manifest.role_mapping.items())},
        "email_domains": sorted(set(manifest.email_domains)),
    }
    # The same checks as `PUT /identity-provider` (lengths, forms): what a manifest may
    # say, the API would take too, and the database will hold.
    try:
        checked = msgspec.convert(wanted, IdentityProviderIn)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$.")
        field = where.rstrip("`").split("[")[0] or "(identity provider)"
        raise _Refused(f"identity_provider.{field}", _plain(message)) from None
    return IdentityProviderConfig(
        issuer=checked.issuer,
        client_id=checked.client_id,
        client_secret=str(checked.client_secret),
        scopes=tuple(checked.scopes),
        roles_claim=checked.roles_claim,
        role_mapping=dict(checked.role_mapping),
        email_domains=tuple(checked.email_domains),
    )


def _plain(message: str) -> str:
    """Msgspec's message without the pattern it failed (and never the value)."""
    if message.startswith("Expected `str` matching regex"):
        return "does not have the expected form"
    return message


def _issuer(value: str | EnvReference, environ: Mapping[str, str]) -> str:
    if isinstance(value, str):
        return value
    address = environ.get(value.env, "").strip()
    if not re.match(r"^https?://\S+$", address):
        raise _Refused("identity_provider.issuer", f"{value.env} is not set to an http(s) URL")
    return address


def _resolve(reference: SecretReference, environ: Mapping[str, str]) -> str:
    field = "identity_provider.client_secret"
    if (reference.env is None) == (reference.file is None):
        raise _Refused(field, 'give exactly one of {env = "VAR"} or {file = "path"}')
    if reference.env is not None:
        value = environ.get(reference.env, "")
        if not value.strip():
            raise _Refused(field, f"the environment variable {reference.env} is not set")
        return value.strip()
    path = Path(str(reference.file))
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise _Refused(field, f"cannot read {path}: {exc.strerror}") from exc
    if not value:
        raise _Refused(field, f"{path} is empty")
    return value


def _claim_domains(tenant: DesiredTenant, claimed: dict[str, str]) -> None:
    """An email domain signs in to one tenant only: a second claim is refused."""
    provider = tenant.identity_provider
    for domain in provider.email_domains if provider else ():
        if claimed.get(domain, tenant.file) != tenant.file:
            raise _Refused(
                "identity_provider.email_domains", f"{domain} is already in {claimed[domain]}"
            )
    for domain in provider.email_domains if provider else ():
        claimed[domain] = tenant.file


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
