"""A tenant's identity provider (stored with its client secret encrypted) and what a
successful sign-in does: find or create the user behind the IdP identity, keep their
memberships in step with the role mapping, and open a session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from authlib.common.security import is_secure_transport

from ebhxh.auth.principal import Principal
from ebhxh.db.errors import is_conflict, is_unique_violation
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.sso import lookup
from ebhxh.sso.schemas import IdentityProviderConfig, SignedInOut
from ebhxh.sso.sessions import end_sessions_of, open_session
from ebhxh.sso.tables import IdentityProvider, IdentityProviderDomain, SsoIdentity
from ebhxh.tenancy.tables import Membership, Role, Tenant, User


def _domain_taken(domain: str) -> ProblemError:
    return ProblemError(
        ErrorCode.SSO_EMAIL_DOMAIN_TAKEN,
        status=409,
        field="email_domains",
        params={"value": domain},
    )


async def configure_identity_provider(
    scope: TenantScope, config: IdentityProviderConfig, box: SecretBox
) -> None:
    """Create or replace the tenant's provider; its email domains must be nobody else's."""
    if not is_secure_transport(config.issuer):
        # Plain http only to this machine (a development provider), as Authlib allows.
        raise ProblemError(ErrorCode.INVALID_VALUE, field="issuer", params={"reason": "https"})
    if "openid" not in config.scopes:
        raise ProblemError(ErrorCode.INVALID_VALUE, field="scopes", params={"reason": "openid"})
    domains = tuple(sorted({d.lower() for d in config.email_domains}))
    clash = await lookup.domains_claimed_elsewhere(scope.tenant_id, domains)
    if clash:
        raise _domain_taken(clash[0])
    values: dict[Any, Any] = {
        IdentityProvider.issuer: config.issuer,
        IdentityProvider.client_id: config.client_id,
        IdentityProvider.client_secret_ciphertext: box.encrypt(config.client_secret.encode()),
        IdentityProvider.scopes: msgspec.json.encode(list(config.scopes)).decode(),
        IdentityProvider.roles_claim: config.roles_claim,
        IdentityProvider.role_mapping: msgspec.json.encode(config.role_mapping).decode(),
        IdentityProvider.updated_at: dt.datetime.now(dt.UTC),
    }
    try:
        async with scope.transaction():
            updated = await scope.update(IdentityProvider, values).returning(IdentityProvider.id)
            if not updated:
                row = scope.new(IdentityProvider, **{c._meta.name: v for c, v in values.items()})
                await scope.insert(IdentityProvider, row)
            await scope.delete(IdentityProviderDomain)
            if domains:
                rows = [scope.new(IdentityProviderDomain, domain=d) for d in domains]
                await scope.insert(IdentityProviderDomain, *rows)
    except Exception as exc:
        if is_unique_violation(exc):  # another tenant took a domain meanwhile
            raise _domain_taken(domains[0] if len(domains) == 1 else ", ".join(domains)) from exc
        raise


async def read_identity_provider(
    scope: TenantScope, box: SecretBox
) -> IdentityProviderConfig | None:
    """The tenant's provider with its secret decrypted, or None."""
    row = await scope.select(IdentityProvider).first()
    if row is None:
        return None
    domains = await scope.select(IdentityProviderDomain, IdentityProviderDomain.domain)
    return IdentityProviderConfig(
        issuer=row["issuer"],
        client_id=row["client_id"],
        client_secret=box.decrypt(bytes(row["client_secret_ciphertext"])).decode(),
        scopes=tuple(_json(row["scopes"])),
        roles_claim=row["roles_claim"],
        role_mapping={
            k: tuple(Role(r) for r in v) for k, v in dict(_json(row["role_mapping"])).items()
        },
        email_domains=tuple(sorted(str(d["domain"]) for d in domains)),
    )


async def remove_identity_provider(scope: TenantScope) -> bool:
    """Remove the tenant's provider and its domains; False when there was none."""
    async with scope.transaction():
        await scope.delete(IdentityProviderDomain)
        removed = await scope.delete(IdentityProvider).returning(IdentityProvider.id)
    return bool(removed)


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def mapped_roles(claims: dict[str, Any], config: IdentityProviderConfig) -> frozenset[Role]:
    """Our roles for the IdP values in the configured claim (a list or a single string)."""
    raw = claims.get(config.roles_claim)
    values: Iterable[Any] = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    roles: set[Role] = set()
    for value in values:
        if isinstance(value, str):
            roles.update(config.role_mapping.get(value, ()))
    return frozenset(roles)


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    """A completed sign-in: the user, their roles now, and the session's cookie value."""

    user_id: uuid.UUID
    roles: frozenset[Role]
    session_id: uuid.UUID
    cookie_value: str


async def sign_in(
    scope: TenantScope,
    config: IdentityProviderConfig,
    claims: dict[str, Any],
    *,
    issuer: str,
    now: dt.datetime,
    settings: Settings,
) -> SignedIn:
    """Sign in the person of validated ID-token `claims` to the scope's tenant.

    Two first sign-ins of one person at once collide on the identity's unique index; the
    loser runs again and finds the identity the winner created.
    """
    try:
        return await _sign_in(scope, config, claims, issuer=issuer, now=now, settings=settings)
    except Exception as exc:
        if not is_conflict(exc):
            raise
    return await _sign_in(scope, config, claims, issuer=issuer, now=now, settings=settings)


async def _sign_in(
    scope: TenantScope,
    config: IdentityProviderConfig,
    claims: dict[str, Any],
    *,
    issuer: str,
    now: dt.datetime,
    settings: Settings,
) -> SignedIn:
    subject = str(claims["sub"])
    roles = mapped_roles(claims, config)
    async with scope.transaction():
        identity = (
            await scope.select(SsoIdentity, SsoIdentity.id, SsoIdentity.user)
            .where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
            .first()
        )
        if identity is None and not roles:
            user_id = None  # refused below, before anything is created
        elif identity is None:
            user_id = await _user_for_new_identity(scope, claims)
            await scope.insert(
                SsoIdentity,
                scope.new(
                    SsoIdentity,
                    user=user_id,
                    issuer=issuer,
                    subject=subject,
                    created_at=now,
                    last_sign_in_at=now,
                ),
            )
        else:
            user_id = as_uuid(identity["user"])
            await scope.update(SsoIdentity, {SsoIdentity.last_sign_in_at: now}).where(
                SsoIdentity.id == identity["id"]
            )
        if user_id is not None:
            await _sync_memberships(scope, user_id, roles)
            if not roles:
                await end_sessions_of(scope, user_id, now)
    if user_id is None or not roles:
        raise ProblemError(ErrorCode.SSO_NO_ROLE, status=403)
    session_id, value = await open_session(scope, user_id, now, settings)
    return SignedIn(user_id=user_id, roles=roles, session_id=session_id, cookie_value=value)


async def _user_for_new_identity(scope: TenantScope, claims: dict[str, Any]) -> uuid.UUID:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise ProblemError(ErrorCode.SSO_EMAIL_MISSING, status=422)
    email = email.strip().lower()
    existing = await User.select(User.id).where(User.email == email).first()
    if existing is not None:
        # Link by email only to someone this tenant already has (its admin created with
        # `ebhxh tenants create`): a provider must never reach another tenant's user.
        members = await scope.count(Membership).where(Membership.user == existing["id"])
        if not members:
            raise ProblemError(ErrorCode.SSO_EMAIL_TAKEN, status=409)
        return as_uuid(existing["id"])
    name = claims.get("name")
    display_name = name.strip()[:255] if isinstance(name, str) and name.strip() else email
    user = User(email=email, display_name=display_name)
    await user.save()
    return as_uuid(user.id)


async def _sync_memberships(scope: TenantScope, user_id: uuid.UUID, roles: frozenset[Role]) -> None:
    current = await scope.select(Membership, Membership.id, Membership.role).where(
        Membership.user == user_id
    )
    held = {Role(row["role"]) for row in current}
    stale = [row["id"] for row in current if Role(row["role"]) not in roles]
    if stale:
        await scope.delete(Membership).where(Membership.id.is_in(stale))
    missing = [scope.new(Membership, user=user_id, role=role) for role in sorted(roles - held)]
    if missing:
        await scope.insert(Membership, *missing)


async def signed_in_as(principal: Principal) -> SignedInOut:
    """`GET /auth/me`: the principal with their user's name and their tenant's slug."""
    user = (
        await User.select(User.email, User.display_name).where(User.id == principal.user_id).first()
    )
    tenant = await Tenant.select(Tenant.slug).where(Tenant.id == principal.tenant_id).first()
    if user is None or tenant is None:
        raise ProblemError(ErrorCode.NOT_AUTHENTICATED, status=401)
    return SignedInOut(
        user_id=principal.user_id,
        email=user["email"],
        display_name=user["display_name"],
        tenant_id=principal.tenant_id,
        tenant=tenant["slug"],
        roles=tuple(sorted(principal.roles)),
        via=principal.via,
    )
