"""The operator's list of tenants: each with how many members and units it has and its
open support grants. Counting reads tenant tables across tenants (numbers only, never
rows), which is why it is one of the few modules allowed to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from ebhxh.db.binding import system_access
from ebhxh.db.ids import as_aware, as_uuid
from ebhxh.operators.schemas import TenantSummary
from ebhxh.operators.tables import SupportGrant
from ebhxh.tenancy.tables import Membership, Tenant
from ebhxh.units.tables import InsuranceUnit


async def _counts(table: Any, *where: Any) -> dict[str, int]:
    rows = await table.select(table.tenant, Count(alias="n")).where(*where).group_by(table.tenant)
    return {str(row["tenant"]): int(row["n"]) for row in rows}


async def tenant_summaries(now: dt.datetime) -> list[TenantSummary]:
    """Every tenant, by slug."""
    tenants = await Tenant.select(
        Tenant.id, Tenant.slug, Tenant.name, Tenant.created_at, Tenant.manifest
    ).order_by(Tenant.slug)
    with system_access():
        members = await _counts(Membership, Membership.id.is_not_null())
        units = await _counts(InsuranceUnit, InsuranceUnit.id.is_not_null())
    grants = await _counts(
        SupportGrant, SupportGrant.revoked_at.is_null(), SupportGrant.expires_at > now
    )
    return [
        TenantSummary(
            id=as_uuid(row["id"]),
            slug=row["slug"],
            name=row["name"],
            created_at=as_aware(row["created_at"]),
            manifest=row["manifest"],
            memberships=members.get(str(row["id"]), 0),
            units=units.get(str(row["id"]), 0),
            open_support_grants=grants.get(str(row["id"]), 0),
        )
        for row in tenants
    ]
