"""What a tenant's manifest sets that the rest of the platform obeys: which plugins' signer
types it may use, and who else hears about its dossiers. Read by tenant id (the tenant
row is platform data, not tenant data).
"""

from __future__ import annotations

import uuid

import msgspec

from ebhxh.db.ids import json_bytes
from ebhxh.tenancy.tables import Tenant


async def enabled_plugins(tenant_id: uuid.UUID) -> frozenset[str] | None:
    """The distributions whose signer types the tenant may use; None: every installed one."""
    row = await Tenant.select(Tenant.enabled_plugins).where(Tenant.id == tenant_id).first()
    if row is None or row["enabled_plugins"] is None:
        return None
    return frozenset(msgspec.json.decode(json_bytes(row["enabled_plugins"]), type=list[str]))


async def notification_emails(tenant_id: uuid.UUID) -> list[str]:
    """Addresses told about the tenant's dossiers besides its admins and HR people."""
    row = await Tenant.select(Tenant.notification_emails).where(Tenant.id == tenant_id).first()
    if row is None or row["notification_emails"] is None:
        return []
    return msgspec.json.decode(json_bytes(row["notification_emails"]), type=list[str])
