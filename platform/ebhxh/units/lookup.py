"""Fetch one of the tenant's units as a row, or answer 404: shared by the flows that start
from a unit (signing, dossiers, VSS lookup).
"""

from __future__ import annotations

import uuid
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.units.tables import InsuranceUnit


async def unit_row(scope: TenantScope, unit_id: uuid.UUID) -> dict[str, Any]:
    """Every column of the unit; `unit_not_found` (404) when the tenant has no such unit."""
    row: dict[str, Any] | None = (
        await scope.select(InsuranceUnit).where(InsuranceUnit.id == unit_id).first()
    )
    if row is None:
        raise ProblemError(ErrorCode.UNIT_NOT_FOUND, status=404)
    return row
