"""The system side of deferred signing: find pending signing requests across tenants.

Signer types that answer `SignaturePending` (a remote signing service, a USB bridge) settle
their requests from worker jobs, which belong to no tenant; these queries find the work
(and the expiry cron's), and `ebhxh.signing.settlement` then handles each request in its
own tenant's scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ebhxh.db.binding import system_access
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.tables import Dossier
from ebhxh.signing.tables import SigningRequest, SigningState


async def pending_requests(signer_type: str, limit: int = 500) -> list[dict[str, Any]]:
    """Pending requests of one signer type, oldest first: (id, tenant)."""
    with system_access():
        rows: list[dict[str, Any]] = await (
            SigningRequest.select(SigningRequest.id, SigningRequest.tenant)
            .where(
                SigningRequest.state == SigningState.PENDING,
                SigningRequest.signer_type == signer_type,
            )
            .order_by(SigningRequest.created_at)
            .limit(limit)
        )
        return rows


async def overdue_requests(now: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Pending requests past their expiry: (id, tenant)."""
    with system_access():
        rows: list[dict[str, Any]] = await (
            SigningRequest.select(SigningRequest.id, SigningRequest.tenant)
            .where(SigningRequest.state == SigningState.PENDING, SigningRequest.expires_at < now)
            .limit(limit)
        )
        return rows


async def stranded_requests(limit: int = 500) -> list[dict[str, Any]]:
    """Settled requests whose dossier still waits in signing: (id, tenant). A read of a
    request past its expiry marks it expired without continuing the dossier.
    """
    with system_access():
        rows: list[dict[str, Any]] = await (
            Dossier.select(Dossier.signing_request.as_alias("id"), Dossier.tenant)
            .where(
                Dossier.state == DossierState.SIGNING.value,
                Dossier.signing_request.is_not_null(),
                Dossier.signing_request.state != SigningState.PENDING,
            )
            .limit(limit)
        )
        return rows


async def interrupted_signings(before: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Dossiers in signing with no request since before `before`: the process that moved
    them there died before it attached their request (id, tenant).
    """
    with system_access():
        rows: list[dict[str, Any]] = await (
            Dossier.select(Dossier.id, Dossier.tenant)
            .where(
                Dossier.state == DossierState.SIGNING.value,
                Dossier.signing_request.is_null(),
                Dossier.updated_at < before,
            )
            .limit(limit)
        )
        return rows
