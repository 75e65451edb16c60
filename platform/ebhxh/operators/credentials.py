"""Operator tokens and support-grant tokens: minted once, stored as SHA-256, resolved to a
principal by the auth middleware.

`ebhxhop_…` proves a platform operator (operator routes only); `ebhxhsp_…` proves a
support grant: the operator acting in one tenant with the grant's roles until it expires.
Like API tokens, resolution reads across tenants, before there is a scope.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from ebhxh.auth.principal import OperatorPrincipal, Principal
from ebhxh.auth.tokens import hash_token
from ebhxh.db.ids import as_uuid, json_bytes
from ebhxh.operators.tables import PlatformOperator, SupportGrant
from ebhxh.tenancy.tables import Role

OPERATOR_TOKEN_PREFIX = "ebhxhop_"  # noqa: S105 - a public marker, not a secret
SUPPORT_TOKEN_PREFIX = "ebhxhsp_"  # noqa: S105 - a public marker, not a secret


async def resolve_operator_token(plain: str) -> OperatorPrincipal | None:
    """The operator an operator token proves, or None (unknown or revoked)."""
    if not plain.startswith(OPERATOR_TOKEN_PREFIX):
        return None
    row = (
        await PlatformOperator.select(
            PlatformOperator.id,
            PlatformOperator.user,
            PlatformOperator.user.email.as_alias("email"),
        )
        .where(
            PlatformOperator.token_hash == hash_token(plain),
            PlatformOperator.revoked_at.is_null(),
        )
        .first()
    )
    if row is None:
        return None
    return OperatorPrincipal(
        operator_id=as_uuid(row["id"]),
        user_id=as_uuid(row["user"]),
        email=row["email"],
        credential_id=as_uuid(row["id"]),
    )


async def resolve_support_token(plain: str, now: dt.datetime) -> Principal | None:
    """The operator acting in a tenant that a support token proves, or None when the grant
    is unknown, revoked or expired, or its operator was revoked since.
    """
    if not plain.startswith(SUPPORT_TOKEN_PREFIX):
        return None
    row = (
        await SupportGrant.select(
            SupportGrant.id,
            SupportGrant.tenant,
            SupportGrant.roles,
            SupportGrant.operator,
            SupportGrant.operator._.user.as_alias("user"),
        )
        .where(
            SupportGrant.token_hash == hash_token(plain),
            SupportGrant.revoked_at.is_null(),
            SupportGrant.expires_at > now,
            SupportGrant.operator._.revoked_at.is_null(),
        )
        .first()
    )
    if row is None:
        return None
    return Principal(
        user_id=as_uuid(row["user"]),
        tenant_id=as_uuid(row["tenant"]),
        roles=frozenset(msgspec.json.decode(json_bytes(row["roles"]), type=list[Role])),
        credential_id=as_uuid(row["id"]),
        operator_id=as_uuid(row["operator"]),
    )
