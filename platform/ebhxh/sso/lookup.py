"""The cross-tenant lookups of single sign-on, kept in this one module: which tenant an
email domain signs in to, who a session cookie proves, and which tenant already claims a
domain. They run before there is a principal, so they cannot go through a `TenantScope`;
everything after them does.
"""

from __future__ import annotations

import datetime as dt
import uuid

from ebhxh.auth.principal import Principal
from ebhxh.db.binding import system_access
from ebhxh.db.bookkeeping import commit_without_waiting
from ebhxh.db.ids import as_aware, as_uuid
from ebhxh.sso.tables import IdentityProviderDomain, SsoSession
from ebhxh.tenancy.tables import Membership, Role, Tenant

LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)
"""A session's idle clock is advanced at most this often (one write per minute, not per
request)."""


async def tenant_by_slug(slug: str) -> uuid.UUID | None:
    row = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first()
    return None if row is None else as_uuid(row["id"])


async def tenant_by_email_domain(domain: str) -> uuid.UUID | None:
    """The tenant whose identity provider signs in people of `domain`."""
    with system_access():
        row = (
            await IdentityProviderDomain.select(IdentityProviderDomain.tenant)
            .where(IdentityProviderDomain.domain == domain.lower())
            .first()
        )
    return None if row is None else as_uuid(row["tenant"])


async def domains_claimed_elsewhere(tenant_id: uuid.UUID, domains: tuple[str, ...]) -> list[str]:
    """Which of `domains` another tenant's provider already uses."""
    if not domains:
        return []
    with system_access():
        rows = await IdentityProviderDomain.select(IdentityProviderDomain.domain).where(
            IdentityProviderDomain.domain.is_in(list(domains)),
            IdentityProviderDomain.tenant != tenant_id,
        )
    return sorted(str(row["domain"]) for row in rows)


async def resolve_session(
    token_hash: str, now: dt.datetime, idle: dt.timedelta
) -> Principal | None:
    """The principal a session cookie proves, or None (unknown, ended, idle or expired)."""
    with system_access():
        async with SsoSession._meta.db.transaction():
            return await _resolve_session(token_hash, now, idle)


async def _resolve_session(
    token_hash: str, now: dt.datetime, idle: dt.timedelta
) -> Principal | None:
    row = (
        await SsoSession.select(
            SsoSession.id,
            SsoSession.tenant,
            SsoSession.user,
            SsoSession.last_seen_at,
            SsoSession.expires_at,
        )
        .where(SsoSession.token_hash == token_hash, SsoSession.ended_at.is_null())
        .first()
    )
    if row is None:
        return None
    last_seen = as_aware(row["last_seen_at"])
    if now >= as_aware(row["expires_at"]) or now - last_seen >= idle:
        return None
    roles = await Membership.select(Membership.role).where(
        Membership.tenant == row["tenant"], Membership.user == row["user"]
    )
    if not roles:
        return None
    if now - last_seen > LAST_SEEN_RESOLUTION:
        await commit_without_waiting(SsoSession)
        await SsoSession.update({SsoSession.last_seen_at: now}).where(SsoSession.id == row["id"])
    return Principal(
        user_id=as_uuid(row["user"]),
        tenant_id=as_uuid(row["tenant"]),
        roles=frozenset(Role(r["role"]) for r in roles),
        credential_id=as_uuid(row["id"]),
        via="session",
    )
