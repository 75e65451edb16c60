"""Create a tenant with its first admin and API token (`ebhxh tenants create`).

This is platform-operator work that happens before any principal exists, so it is one of
the few modules allowed to write tenant tables without a `TenantScope`.
"""

from __future__ import annotations

import re
import uuid

import msgspec

from ebhxh.auth.tokens import mint_token
from ebhxh.db.binding import system_access
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
    with system_access():
        async with Tenant._meta.db.transaction():
            tenant = Tenant(slug=slug, name=name)
            await tenant.save()
            user_id, token = await add_member(
                tenant.id, email=admin_email, role=Role.ADMIN, display_name=admin_name
            )
    return CreatedTenant(tenant_id=tenant.id, slug=slug, admin_user_id=user_id, token=token)


async def add_member(
    tenant_id: uuid.UUID, *, email: str, role: Role, display_name: str | None = None
) -> tuple[uuid.UUID, str]:
    """Give `email` (a new or existing user) `role` in the tenant and a first API token.

    Returns the user id and the token, which is shown to its owner once and never stored.
    """
    minted = mint_token()
    with system_access():
        async with Tenant._meta.db.transaction():
            user = await User.objects().get(User.email == email.lower())
            if user is None:
                user = User(email=email.lower(), display_name=display_name or email)
                await user.save()
            await Membership(tenant=tenant_id, user=user.id, role=role).save()
            await ApiToken(
                tenant=tenant_id,
                user=user.id,
                name=f"first {role.value} token",
                token_hash=minted.token_hash,
                prefix=minted.prefix,
            ).save()
    return user.id, minted.plain


async def tenant_count() -> int:
    return int(await Tenant.count())
