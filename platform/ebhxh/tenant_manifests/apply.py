"""Apply a tenant's plan: the checks that can refuse it first (an email domain another
tenant holds), then the tenant row, then its identity provider.

The row and the provider are two transactions: the provider's is bound to the tenant by
row-level security and makes its own cross-tenant domain check, which cannot run inside
it, while the row is platform data. Everything that can refuse a manifest is checked before
either is written, and if the provider is refused anyway (another tenant took the domain
meanwhile) the row is put back as it was. Only a crash between the two leaves the row
alone, and the next run finishes it.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from piccolo.columns import Column

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.secrets.box import SecretBox
from ebhxh.sso.lookup import domains_claimed_elsewhere
from ebhxh.sso.service import configure_identity_provider, remove_identity_provider
from ebhxh.tenancy.tables import Tenant
from ebhxh.tenant_manifests.plan import Action, TenantPlan

TENANT_FIELDS = (Tenant.name, Tenant.manifest, Tenant.enabled_plugins, Tenant.notification_emails)


async def apply_plan(plan: TenantPlan, box: SecretBox) -> None:
    """Make the database match `plan.desired` (nothing to do when unchanged)."""
    if plan.action is Action.UNCHANGED:
        return
    desired = plan.desired
    tenant_id = plan.tenant_id or uuid.uuid4()
    provider = desired.identity_provider
    if provider is not None:
        taken = await domains_claimed_elsewhere(tenant_id, provider.email_domains)
        if taken:
            raise ProblemError(
                ErrorCode.SSO_EMAIL_DOMAIN_TAKEN,
                status=409,
                field="identity_provider.email_domains",
                params={"value": taken[0]},
            )
    values: dict[Column | str, Any] = {
        "name": desired.name,
        "manifest": desired.manifest,
        "enabled_plugins": (
            None
            if desired.enabled_plugins is None
            else msgspec.json.encode(list(desired.enabled_plugins)).decode()
        ),
        "notification_emails": msgspec.json.encode(list(desired.notification_emails)).decode(),
    }
    before = await Tenant.select(*TENANT_FIELDS).where(Tenant.id == tenant_id).first()
    if before is None:
        row = {str(column): value for column, value in values.items()}
        await Tenant(id=tenant_id, slug=desired.slug, **row).save()
    else:
        await Tenant.update(values).where(Tenant.id == tenant_id)
    scope = TenantScope(tenant_id)
    try:
        if provider is None:
            await remove_identity_provider(scope)
        else:
            await configure_identity_provider(scope, provider, box)
    except BaseException:
        # Put the tenant row back as it was: nothing of a refused manifest stays applied.
        if before is None:
            await Tenant.delete().where(Tenant.id == tenant_id)
        else:
            restored: dict[Column | str, Any] = {str(key): value for key, value in before.items()}
            await Tenant.update(restored).where(Tenant.id == tenant_id)
        raise
