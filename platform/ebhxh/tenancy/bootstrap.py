"""Create a tenant with its first admin and API token (`ebhxh tenants create`).

This is platform-operator work that happens before any principal exists, so it is one of
the few modules allowed to write tenant tables without a `TenantScope`.
"""

from __future__ import annotations

import re
import uuid

import msgspec

from ebhxh.auth.tokens import mint_token
from ebhxh.tenancy.tables import ApiToken, Membership, Role, Tenant, User

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class TenantBootstrapError(ValueError):
    """The tenant cannot be created as asked (bad slug, slug taken)."""


class CreatedTenant(msgspec.Struct, frozen=True):
    """The new tenant; `token` is the admin's first API token, shown this once."""

    tenant_id: uuid.UUID
    slug: str
    admin_user_id: uuid.UUID
    token: str


async def create_tenant(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_name: str | None = None,
) -> CreatedTenant:
    """Create tenant `slug` with `admin_email` as admin, in one transaction."""
    if not SLUG_PATTERN.match(slug):
        raise TenantBootstrapError(
            f"Slug {slug!r} must be 2-63 lower-case letters, digits or dashes."
        )
    if await Tenant.exists().where(Tenant.slug == slug):
        raise TenantBootstrapError(f"A tenant with slug {slug!r} already exists.")
    minted = mint_token()
    async with Tenant._meta.db.transaction():
        tenant = Tenant(slug=slug, name=name)
        await tenant.save()
        user = await User.objects().get(User.email == admin_email.lower())
        if user is None:
            user = User(email=admin_email.lower(), display_name=admin_name or admin_email)
            await user.save()
        await Membership(tenant=tenant.id, user=user.id, role=Role.ADMIN).save()
        await ApiToken(
            tenant=tenant.id,
            user=user.id,
            name="first admin token",
            token_hash=minted.token_hash,
            prefix=minted.prefix,
        ).save()
    return CreatedTenant(tenant_id=tenant.id, slug=slug, admin_user_id=user.id, token=minted.plain)


async def tenant_count() -> int:
    return int(await Tenant.count())
