"""Settling deferred signatures: the one entry point a signer plugin calls.

A signer type that answered `SignaturePending` later settles the request with a value (the
core finishes the PDF and validates it; a value that does not verify with the registered
certificate is refused) or with a failure `ErrorCode` (refused, service down). Either way
the dossier waiting on the request continues by itself: signed -> submitting with its
outbox row, or back to draft with the reason. Pending requests past their expiry are
settled as expired by a worker cron (`expire_overdue`).

Plugins reach this as `runtime.signatures` (the worker context carries `runtime`; a route
handler reads `request.app.state.runtime`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.service import DossierService
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.signing import pades
from ebhxh.signing.contract import PendingSignature
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.pending import (
    interrupted_signings,
    overdue_requests,
    pending_requests,
    stranded_requests,
)
from ebhxh.signing.schemas import SigningRequestOut
from ebhxh.signing.service import SigningService, _json_dict
from ebhxh.signing.tables import SignatureSetup, SigningRequest

log = structlog.get_logger(__name__)

Enqueue = Callable[[Any], Awaitable[None]]
DossierFactory = Callable[[TenantScope, Enqueue | None], DossierService]


class Settlements:
    """Settle pending signing requests and continue the dossiers waiting on them."""

    def __init__(
        self,
        catalogue: PluginCatalogue,
        environment: SigningEnvironment,
        dossiers: DossierFactory,
    ) -> None:
        self.catalogue = catalogue
        self.env = environment
        self.dossiers = dossiers

    def _signing(self, tenant_id: uuid.UUID) -> SigningService:
        return SigningService(TenantScope(tenant_id), self.catalogue, self.env)

    async def settle(
        self,
        tenant_id: uuid.UUID,
        request_id: uuid.UUID,
        *,
        value: bytes | None = None,
        failure: ErrorCode | None = None,
        enqueue: Enqueue | None = None,
    ) -> SigningRequestOut:
        """Give a pending request its value, or fail it with `failure`; then continue its
        dossier. Returns the request as settled (`state`, `failure_code`): a refused value
        is a failed request, not an exception. Settling a settled request changes nothing.
        """
        if (value is None) == (failure is None):
            raise ValueError("settle with either a value or a failure")
        signing = self._signing(tenant_id)
        try:
            if value is not None:
                await signing.complete(request_id, value)
            elif failure is not None:
                await signing.fail(request_id, failure)
        except ProblemError as refused:  # recorded on the request by the signing service
            log.info(
                "signature_settle_refused",
                signing_request_id=str(request_id),
                code=refused.code.value,
            )
        await self.dossiers(signing.scope, enqueue).signing_settled(request_id)
        return await signing.request(request_id)

    async def pending(self, signer_type: str) -> list[PendingSignature]:
        """Every pending request of `signer_type`, with what its signer needs to carry on
        (the unit's settings and secrets, the bytes to sign, the signer state).
        """
        found = []
        for row in await pending_requests(signer_type):
            signing = self._signing(_uuid(row["tenant"]))
            request = (
                await signing.scope.select(SigningRequest)
                .where(SigningRequest.id == row["id"])
                .first()
            )
            setup = (
                await signing.scope.select(SignatureSetup)
                .where(SignatureSetup.unit == request["unit"])
                .first()
                if request
                else None
            )
            if request is None or setup is None:
                continue
            prepared = pades.PreparedSignature.from_bytes(bytes(request["prepared"]))
            found.append(
                PendingSignature(
                    request_id=_uuid(request["id"]),
                    tenant_id=signing.scope.tenant_id,
                    unit_id=_uuid(request["unit"]),
                    certificate_der=bytes(setup["certificate"]),
                    to_be_signed=prepared.to_be_signed,
                    expires_at=request["expires_at"],
                    settings=_json_dict(setup["settings"]),
                    secrets=signing.unseal(setup["secrets_ciphertext"]),
                    state=signing.unseal(request["signer_state"]),
                )
            )
        return found

    async def tell(self, tenant_id: uuid.UUID, request_id: uuid.UUID, waiting_for: str) -> None:
        """Change what the pending request, and the dossier waiting on it, say they wait
        for (a service being retried, a device gone offline).
        """
        signing = self._signing(tenant_id)
        await signing.set_waiting_for(request_id, waiting_for)
        await self.dossiers(signing.scope, None).waiting_on_signature(request_id, waiting_for)

    async def save_state(
        self, tenant_id: uuid.UUID, request_id: uuid.UUID, state: Mapping[str, Any]
    ) -> None:
        """Replace the signer state of a pending request (kept encrypted)."""
        await self._signing(tenant_id).save_signer_state(request_id, state)

    async def expire_overdue(self, enqueue: Enqueue | None = None) -> int:
        """Settle every pending request past its expiry as expired, continue every
        dossier left waiting on a request settled without it, and send back to draft every
        dossier left signing without a request for a request's lifetime (a worker cron).
        """
        rows = await overdue_requests(self.env.clock.now())
        for row in rows:
            await self.settle(
                _uuid(row["tenant"]),
                _uuid(row["id"]),
                failure=ErrorCode.SIGNING_REQUEST_EXPIRED,
                enqueue=enqueue,
            )
        stranded = await stranded_requests()
        for row in stranded:
            scope = TenantScope(_uuid(row["tenant"]))
            await self.dossiers(scope, enqueue).signing_settled(_uuid(row["id"]))
        # A request is attached once the signer has been asked (seconds at most); one
        # still missing after a request's whole lifetime is not coming.
        before = self.env.clock.now() - self.env.request_lifetime
        interrupted = await interrupted_signings(before)
        for row in interrupted:
            scope = TenantScope(_uuid(row["tenant"]))
            await self.dossiers(scope, enqueue).signing_interrupted(_uuid(row["id"]), before)
        return len(rows) + len(stranded) + len(interrupted)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
