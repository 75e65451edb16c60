"""The platform's side of the bridge: the agent long-polls for the signing requests assigned
to its device and posts each answer, always with its device credential (outbound HTTP from
the PC only). A request assigned to another device, of this user or any other, is not
found; a revoked device is refused before anything is looked up.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import structlog
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.devices.auth import DEVICE_DEPENDENCY, DEVICE_OPT
from ebhxh.devices.credentials import DeviceIdentity
from ebhxh.dossiers.jobs import enqueuer
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.runtime import Runtime
from ebhxh.signing import pades
from ebhxh.signing.service import SigningService
from ebhxh.signing.tables import SignatureSetup, SigningRequest, SigningState
from ebhxh.units.lookup import unit_row
from ebhxh_signer_usb_bridge.schemas import (
    BridgeProblem,
    BridgeRequestOut,
    BridgeResultIn,
    BridgeResultOut,
)
from ebhxh_signer_usb_bridge.signer import NAME

log = structlog.get_logger(__name__)
POLL_INTERVAL = 0.5  # seconds between looks while a long poll waits
FAILURES = {
    BridgeProblem.TOKEN_MISSING: ErrorCode.USB_TOKEN_MISSING,
    BridgeProblem.KEY_MISSING: ErrorCode.USB_KEY_MISSING,
    BridgeProblem.PIN_INCORRECT: ErrorCode.USB_PIN_INCORRECT,
    BridgeProblem.PIN_LOCKED: ErrorCode.USB_PIN_LOCKED,
    BridgeProblem.PIN_GUARD: ErrorCode.USB_PIN_GUARD,
    BridgeProblem.DEVICE: ErrorCode.USB_TOKEN_ERROR,
    BridgeProblem.DECLINED: ErrorCode.USB_SIGNING_DECLINED,
}


class BridgeRequests:
    """The signing requests of one device."""

    def __init__(self, runtime: Runtime, device: DeviceIdentity) -> None:
        self.runtime = runtime
        self.device = device
        self.scope = TenantScope(device.tenant_id)
        self.signing = SigningService(self.scope, runtime.catalogue, runtime.signing)

    def _mine(self, row: dict[str, Any]) -> bool:
        state = self.signing.unseal(row["signer_state"])
        return state.get("device_id") == str(self.device.device_id)

    async def _pending(self) -> list[dict[str, Any]]:
        """The pending requests of this device, oldest first (ids and states only: a long poll
        looks often, and the prepared documents are read only for the one handed out).
        """
        rows = await (
            self.scope.select(SigningRequest, SigningRequest.id, SigningRequest.signer_state)
            .where(
                SigningRequest.signer_type == NAME,
                SigningRequest.state == SigningState.PENDING,
                SigningRequest.expires_at > self.runtime.clock.now(),
            )
            .order_by(SigningRequest.created_at)
        )
        return [row for row in rows if self._mine(row)]

    async def next(self, wait: float) -> list[BridgeRequestOut]:
        """The oldest request for this device, waiting up to `wait` seconds for one."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            rows = await self._pending()
            if rows or asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(POLL_INTERVAL)
        return [await self._out(row["id"]) for row in rows[:1]]

    async def _out(self, request_id: Any) -> BridgeRequestOut:
        row = await self.scope.select(SigningRequest).where(SigningRequest.id == request_id).first()
        if row is None:  # pragma: no cover - rows are never deleted
            raise ProblemError(ErrorCode.BRIDGE_REQUEST_NOT_FOUND, status=404)
        unit = await unit_row(self.scope, row["unit"])
        setup = (
            await self.scope.select(SignatureSetup, SignatureSetup.certificate)
            .where(SignatureSetup.unit == row["unit"])
            .first()
        )
        if setup is None:  # the setup was removed while the request waited
            raise ProblemError(ErrorCode.SIGNATURE_SETUP_MISSING, status=409)
        prepared = pades.PreparedSignature.from_bytes(bytes(row["prepared"]))
        return BridgeRequestOut(
            request_id=uuid.UUID(str(row["id"])),
            unit_name=unit["name"],
            tax_code=unit["tax_code"],
            form=row["form"],
            document_sha256=row["document_sha256"],
            certificate=bytes(setup["certificate"]),
            to_be_signed=prepared.to_be_signed,
            expires_at=row["expires_at"],
        )

    async def answer(self, result: BridgeResultIn, enqueue: Any) -> BridgeResultOut:
        """Settle the request with the agent's value or problem (the core finishes,
        validates and continues the dossier); a settled request reports how it ended.
        """
        row = await (
            self.scope.select(SigningRequest)
            .where(SigningRequest.id == result.request_id, SigningRequest.signer_type == NAME)
            .first()
        )
        if row is None or not self._mine(row):
            raise ProblemError(ErrorCode.BRIDGE_REQUEST_NOT_FOUND, status=404, field="request_id")
        if (result.signature is None) == (result.problem is None):
            raise ProblemError(
                ErrorCode.INVALID_VALUE,
                field="signature",
                params={"reason": "send either `signature` or `problem`"},
            )
        failure = FAILURES[result.problem] if result.problem is not None else None
        log.info(
            "bridge_answer",
            signing_request_id=str(result.request_id),
            problem=result.problem.value if result.problem else None,
        )
        settled = await self.runtime.signatures.settle(
            self.device.tenant_id,
            result.request_id,
            value=result.signature,
            failure=failure,
            enqueue=enqueue,
        )
        return BridgeResultOut(
            request_id=settled.id, state=settled.state.value, failure_code=settled.failure_code
        )


class BridgeController(Controller):
    """What the `ebhxh-bridge` agent calls, with its device credential."""

    path = "/bridge"
    tags = ["USB bridge"]
    opt = DEVICE_OPT
    dependencies = DEVICE_DEPENDENCY

    @get(
        "/requests",
        operation_id="pollBridgeRequests",
        summary="The next signing request for this device (long poll: waits up to `wait` s)",
    )
    async def poll(
        self,
        request: Request[Any, Any, Any],
        device: NamedDependency[DeviceIdentity],
        wait: FromQuery[Annotated[int, Parameter(ge=0, le=30)]] = 25,
    ) -> list[BridgeRequestOut]:
        return await BridgeRequests(request.app.state.runtime, device).next(wait)

    @post(
        "/results",
        operation_id="answerBridgeRequest",
        summary="The signature value for a request, or why the token could not sign",
        status_code=200,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BridgeResultIn],
        device: NamedDependency[DeviceIdentity],
    ) -> BridgeResultOut:
        requests = BridgeRequests(request.app.state.runtime, device)
        return await requests.answer(data, enqueuer(request.app.state.redis_pool))
