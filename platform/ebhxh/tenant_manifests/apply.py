"""Apply a tenant's plan: create or update the tenant row and its identity provider, in one
transaction, so a tenant is never left half-applied.
"""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.columns import Column

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.secrets.box import SecretBox
from ebhxh.sso.service import configure_identity_provider, remove_identity_provider
from ebhxh.tenancy.tables import Tenant
from ebhxh.tenant_manifests.plan import Action, TenantPlan


async def apply_plan(plan: TenantPlan, box: SecretBox) -> None:
    """Make the database match `plan.desired` (nothing to do when unchanged)."""
    if plan.action is Action.UNCHANGED:
        return
    desired = plan.desired
    values: dict[Column | str, Any] = {
        "name": desired.name,
        "manifest": desired.file,
        "enabled_plugins": (
            None
            if desired.enabled_plugins is None
            else msgspec.json.encode(list(desired.enabled_plugins)).decode()
        ),
        "notification_emails": msgspec.json.encode(list(desired.notification_emails)).decode(),
    }
    async with Tenant._meta.db.transaction():
        if plan.tenant_id is None:
            tenant = Tenant(slug=desired.slug, **{str(key): v for key, v in values.items()})
            await tenant.save()
            tenant_id = tenant.id
        else:
            tenant_id = plan.tenant_id
            await Tenant.update(values).where(Tenant.id == tenant_id)
        scope = TenantScope(tenant_id)
        if desired.identity_provider is None:
            await remove_identity_provider(scope)
        else:
            await configure_identity_provider(scope, desired.identity_provider, box)
