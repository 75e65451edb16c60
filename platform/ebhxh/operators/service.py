"""What operators do: enrol operators (CLI), open and revoke support grants, read the audit
trail; and what a tenant sees of it (`support_access`).

Grants and actions are platform tables; every read for one tenant filters on that tenant
here, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from ebhxh.auth.principal import OperatorPrincipal
from ebhxh.auth.tokens import mint_token
from ebhxh.db.ids import as_aware, as_uuid, json_bytes
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.operators.credentials import OPERATOR_TOKEN_PREFIX, SUPPORT_TOKEN_PREFIX
from ebhxh.operators.schemas import (
    OpenedSupportGrant,
    OperatorActionOut,
    SupportAccess,
    SupportGrantIn,
    SupportGrantOut,
)
from ebhxh.operators.tables import OperatorAction, PlatformOperator, SupportGrant
from ebhxh.tenancy.tables import Role, Tenant, User

ACTIONS_SHOWN = 200
MAX_ACTIONS_SHOWN = 1000


class OperatorError(ValueError):
    """An operator cannot be enrolled or revoked as asked (CLI)."""


async def add_operator(email: str, display_name: str | None = None) -> tuple[uuid.UUID, str]:
    """Make `email` (a new or existing user) an operator; returns the id and the operator
    token, shown once and never stored.
    """
    minted = mint_token(OPERATOR_TOKEN_PREFIX)
    async with PlatformOperator._meta.db.transaction():
        user = await User.objects().get(User.email == email.lower())
        if user is None:
            user = User(email=email.lower(), display_name=display_name or email)
            await user.save()
        if await PlatformOperator.exists().where(
            PlatformOperator.user == user.id, PlatformOperator.revoked_at.is_null()
        ):
            raise OperatorError(f"{email} is already an operator.")
        await PlatformOperator.delete().where(PlatformOperator.user == user.id)
        operator = PlatformOperator(
            user=user.id, token_hash=minted.token_hash, prefix=minted.prefix
        )
        await operator.save()
    return operator.id, minted.plain


async def revoke_operator(email: str, now: dt.datetime) -> bool:
    """Revoke an operator's token and every grant they hold; False when not an operator."""
    user = await User.select(User.id).where(User.email == email.lower()).first()
    if user is None:
        return False
    async with PlatformOperator._meta.db.transaction():
        revoked = (
            await PlatformOperator.update({PlatformOperator.revoked_at: now})
            .where(PlatformOperator.user == user["id"], PlatformOperator.revoked_at.is_null())
            .returning(PlatformOperator.id)
        )
        for row in revoked:
            await SupportGrant.update({SupportGrant.revoked_at: now}).where(
                SupportGrant.operator == row["id"], SupportGrant.revoked_at.is_null()
            )
    return bool(revoked)


async def list_operators() -> list[dict[str, Any]]:
    """Every operator with email, since when, and whether revoked (for the CLI)."""
    rows = await PlatformOperator.select(
        PlatformOperator.user.email.as_alias("email"),
        PlatformOperator.prefix,
        PlatformOperator.created_at,
        PlatformOperator.revoked_at,
    ).order_by(PlatformOperator.created_at)
    return list(rows)


async def tenant_id_of(slug: str) -> tuple[uuid.UUID, str]:
    row = await Tenant.select(Tenant.id, Tenant.slug).where(Tenant.slug == slug).first()
    if row is None:
        raise ProblemError(ErrorCode.TENANT_NOT_FOUND, status=404, params={"value": slug})
    return as_uuid(row["id"]), row["slug"]


async def open_grant(
    operator: OperatorPrincipal, slug: str, wanted: SupportGrantIn, now: dt.datetime
) -> OpenedSupportGrant:
    """A support grant on tenant `slug` for `operator`, with its token shown once."""
    tenant_id, _ = await tenant_id_of(slug)
    minted = mint_token(SUPPORT_TOKEN_PREFIX)
    roles = sorted(set(wanted.roles))
    grant = SupportGrant(
        operator=operator.operator_id,
        tenant=tenant_id,
        roles=msgspec.json.encode(roles).decode(),
        reason=wanted.reason,
        token_hash=minted.token_hash,
        prefix=minted.prefix,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=wanted.minutes),
    )
    await grant.save()
    (shown,) = await _grants(now, SupportGrant.id == grant.id)
    return OpenedSupportGrant(grant=shown, token=minted.plain)


async def revoke_grant(grant_id: uuid.UUID, now: dt.datetime) -> None:
    revoked = (
        await SupportGrant.update({SupportGrant.revoked_at: now})
        .where(SupportGrant.id == grant_id, SupportGrant.revoked_at.is_null())
        .returning(SupportGrant.id)
    )
    if not revoked and not await SupportGrant.exists().where(SupportGrant.id == grant_id):
        raise ProblemError(ErrorCode.SUPPORT_GRANT_NOT_FOUND, status=404)


async def grants_of(slug: str, now: dt.datetime) -> list[SupportGrantOut]:
    tenant_id, _ = await tenant_id_of(slug)
    return await _grants(now, SupportGrant.tenant == tenant_id)


async def actions(
    *, tenant_slug: str | None = None, limit: int = ACTIONS_SHOWN
) -> list[OperatorActionOut]:
    """The newest operator actions, of one tenant or all."""
    if tenant_slug is None:
        return await _actions(None, limit)
    tenant_id, _ = await tenant_id_of(tenant_slug)
    return await _actions(tenant_id, limit)


async def support_access(tenant_id: uuid.UUID, now: dt.datetime) -> SupportAccess:
    """What a tenant's admins see: every grant on their tenant and what was done with it."""
    return SupportAccess(
        grants=await _grants(now, SupportGrant.tenant == tenant_id),
        actions=await _actions(tenant_id, ACTIONS_SHOWN),
    )


async def _grants(now: dt.datetime, where: Any) -> list[SupportGrantOut]:
    rows = (
        await SupportGrant.select(
            SupportGrant.id,
            SupportGrant.tenant.slug.as_alias("tenant_slug"),
            SupportGrant.operator._.user._.email.as_alias("operator_email"),
            SupportGrant.roles,
            SupportGrant.reason,
            SupportGrant.created_at,
            SupportGrant.expires_at,
            SupportGrant.revoked_at,
        )
        .where(where)
        .order_by(SupportGrant.created_at, ascending=False)
    )
    grants = []
    for row in rows:
        expires_at = as_aware(row["expires_at"])
        revoked_at = as_aware(row["revoked_at"]) if row["revoked_at"] else None
        grants.append(
            SupportGrantOut(
                id=as_uuid(row["id"]),
                tenant_slug=row["tenant_slug"],
                operator_email=row["operator_email"],
                roles=msgspec.json.decode(json_bytes(row["roles"]), type=list[Role]),
                reason=row["reason"],
                created_at=as_aware(row["created_at"]),
                expires_at=expires_at,
                revoked_at=revoked_at,
                active=revoked_at is None and expires_at > now,
            )
        )
    return grants


async def _actions(tenant_id: uuid.UUID | None, limit: int) -> list[OperatorActionOut]:
    query = OperatorAction.select(
        OperatorAction.id,
        OperatorAction.operator._.user._.email.as_alias("operator_email"),
        OperatorAction.tenant.slug.as_alias("tenant_slug"),
        OperatorAction.grant,
        OperatorAction.method,
        OperatorAction.path,
        OperatorAction.operation_id,
        OperatorAction.request_id,
        OperatorAction.status,
        OperatorAction.at,
    )
    if tenant_id is not None:
        query = query.where(OperatorAction.tenant == tenant_id)
    rows = await query.order_by(OperatorAction.at, ascending=False).limit(limit)
    return [
        OperatorActionOut(
            id=as_uuid(row["id"]),
            operator_email=row["operator_email"],
            tenant_slug=row["tenant_slug"],
            grant_id=as_uuid(row["grant"]) if row["grant"] else None,
            method=row["method"],
            path=row["path"],
            operation_id=row["operation_id"],
            request_id=row["request_id"],
            status=row["status"],
            at=as_aware(row["at"]),
        )
        for row in rows
    ]
