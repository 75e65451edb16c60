"""The plan of `ebhxh tenants apply`: for each desired tenant, what differs from the
database, field by field. Secrets are compared, never shown.
"""

from __future__ import annotations

import hashlib
import uuid
from enum import StrEnum
from typing import Any

import msgspec

from ebhxh.db.ids import as_uuid, json_bytes
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.secrets.box import SecretBox
from ebhxh.sso.schemas import IdentityProviderConfig
from ebhxh.sso.service import read_identity_provider
from ebhxh.tenancy.tables import Tenant
from ebhxh.tenant_manifests.loader import DesiredTenant

HIDDEN = "(hidden)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


class Change(msgspec.Struct, frozen=True):
    """One field that differs: its value now (None: absent) and as the manifest wants it."""

    field: str
    old: str | None
    new: str | None


class TenantPlan(msgspec.Struct, frozen=True, kw_only=True):
    desired: DesiredTenant
    tenant_id: uuid.UUID | None
    action: Action
    changes: list[Change]


async def plan_tenant(desired: DesiredTenant, box: SecretBox) -> TenantPlan:
    """What applying `desired` would change."""
    row = await Tenant.select().where(Tenant.slug == desired.slug).first()
    if row is None:
        changes = _diff(_fields(None, None, None, None, None), _wanted(desired))
        return TenantPlan(desired=desired, tenant_id=None, action=Action.CREATE, changes=changes)
    tenant_id = as_uuid(row["id"])
    provider = await read_identity_provider(TenantScope(tenant_id), box)
    current = _fields(
        row["name"],
        row["manifest"],
        _list(row["enabled_plugins"]),
        _list(row["notification_emails"]) or (),
        provider,
    )
    changes = _diff(current, _wanted(desired))
    action = Action.UPDATE if changes else Action.UNCHANGED
    return TenantPlan(desired=desired, tenant_id=tenant_id, action=action, changes=changes)


def _wanted(desired: DesiredTenant) -> dict[str, str | None]:
    return _fields(
        desired.name,
        desired.manifest,
        desired.enabled_plugins,
        desired.notification_emails,
        desired.identity_provider,
    )


def _fields(
    name: str | None,
    manifest: str | None,
    plugins: tuple[str, ...] | None,
    emails: tuple[str, ...] | None,
    provider: IdentityProviderConfig | None,
) -> dict[str, str | None]:
    """The comparable, printable form of a tenant (the secret only as a fingerprint)."""
    fields: dict[str, str | None] = {
        "name": name,
        "manifest": manifest,
        "plugins.enabled": _show(list(plugins)) if plugins is not None else None,
        "notifications.emails": _show(list(emails)) if emails is not None else None,
    }
    if provider is not None:
        fields.update(
            {
                "identity_provider.issuer": provider.issuer,
                "identity_provider.client_id": provider.client_id,
                "identity_provider.client_secret": _fingerprint(provider.client_secret),
                "identity_provider.scopes": _show(list(provider.scopes)),
                "identity_provider.roles_claim": provider.roles_claim,
                "identity_provider.role_mapping": _show(
                    {k: [r.value for r in v] for k, v in sorted(provider.role_mapping.items())}
                ),
                "identity_provider.email_domains": _show(sorted(provider.email_domains)),
            }
        )
    return fields


def _diff(current: dict[str, str | None], wanted: dict[str, str | None]) -> list[Change]:
    changes = []
    for field in sorted(set(current) | set(wanted), key=_order):
        old, new = current.get(field), wanted.get(field)
        if old == new:
            continue
        if field.endswith("client_secret"):  # compared by fingerprint, never printed
            old, new = (HIDDEN if old else None), (HIDDEN if new else None)
        changes.append(Change(field, old, new))
    return changes


def _order(field: str) -> tuple[int, str]:
    first = ("name", "manifest")
    return (first.index(field), "") if field in first else (len(first), field)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _show(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _list(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(msgspec.json.decode(json_bytes(value), type=list[str]))
