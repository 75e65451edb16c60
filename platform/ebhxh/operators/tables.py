"""Piccolo tables of platform operators: who they are, the support grants they open on a
tenant, and the audit trail of everything they did.

These are platform tables, not tenant data: an operator stands outside every tenant. Rows
naming a tenant are read for that tenant only through `ebhxh.operators.service`.
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant, User


class PlatformOperator(Table, tablename="platform_operator"):
    """A person of the platform's support team, with their (hashed) operator token."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, unique=True)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class SupportGrant(Table, tablename="support_grant"):
    """An operator's time-limited access to one tenant, with the roles and the reason."""

    id = UUID(primary_key=True)
    operator = ForeignKey(PlatformOperator, on_delete=OnDelete.restrict, null=False, index=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    roles = JSON(default="[]")
    reason = Text()
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class OperatorAction(Table, tablename="operator_action"):
    """One request an operator made, recorded before it ran and completed with its status."""

    id = UUID(primary_key=True)
    operator = ForeignKey(PlatformOperator, on_delete=OnDelete.restrict, null=False, index=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    grant = ForeignKey(SupportGrant, on_delete=OnDelete.restrict, null=True, default=None)
    method = Varchar(length=10)
    path = Varchar(length=2048)
    operation_id = Varchar(length=100, null=True, default=None)
    request_id = Varchar(length=100, null=True, default=None)
    status = Integer(null=True, default=None)
    """The response status; null while running, or when the request died before answering."""
    at = Timestamptz(default=TimestamptzNow(), index=True)
