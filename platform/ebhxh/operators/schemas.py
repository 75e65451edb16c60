"""Request and response bodies of the operator routes and of a tenant's view of support
access.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.tenancy.tables import Role
from ebhxh.text import PRINTABLE


class TenantSummary(msgspec.Struct, kw_only=True):
    """A tenant as an operator sees it: who, since when, how big, whether it is open to
    support now. No business data.
    """

    id: uuid.UUID
    slug: str
    name: str
    created_at: dt.datetime
    manifest: str | None
    memberships: int
    units: int
    open_support_grants: int


class TenantList(msgspec.Struct, kw_only=True):
    tenants: list[TenantSummary]


class SupportGrantIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What an operator asks for to act in a tenant, and why (the tenant sees the reason)."""

    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=500, pattern=PRINTABLE)]
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=4)] = msgspec.field(
        default_factory=lambda: [Role.VIEWER]
    )
    minutes: Annotated[int, msgspec.Meta(ge=5, le=480)] = 60


class SupportGrantOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_slug: str
    operator_email: str
    roles: list[Role]
    reason: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


class OpenedSupportGrant(msgspec.Struct, kw_only=True):
    """A new grant and its token, shown this once (use it as a bearer token)."""

    grant: SupportGrantOut
    token: str


class SupportGrantList(msgspec.Struct, kw_only=True):
    grants: list[SupportGrantOut]


class OperatorActionOut(msgspec.Struct, kw_only=True):
    """One request of an operator, as the audit trail holds it."""

    id: uuid.UUID
    operator_email: str
    tenant_slug: str | None
    grant_id: uuid.UUID | None
    method: str
    path: str
    operation_id: str | None
    request_id: str | None
    status: int | None
    at: dt.datetime


class OperatorActionList(msgspec.Struct, kw_only=True):
    actions: list[OperatorActionOut]


class SupportAccess(msgspec.Struct, kw_only=True):
    """A tenant's view: who of the platform's support had access, why, and what they did."""

    grants: list[SupportGrantOut]
    actions: list[OperatorActionOut]
