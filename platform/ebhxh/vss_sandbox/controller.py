"""The sandbox's HTTP API: what the gateway client calls, the officer's desk, test knobs."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from ebhxh.gateway.contract import DossierKind, Receipt, Submission, UnitRecord
from ebhxh.http.limits import SUBMITTED_DOSSIER
from ebhxh.vss_sandbox.employees import ChangeReport, EmployeeChanges, SandboxEmployees
from ebhxh.vss_sandbox.faults import FaultPlan, Faults
from ebhxh.vss_sandbox.service import Refusal, SandboxService


class SubmissionIn(msgspec.Struct, kw_only=True):
    """A dossier as the gateway client sends it (the PDF in base64)."""

    kind: DossierKind
    tax_code: str
    unit_name: str
    email: str
    provider: str
    document: str
    unit_code: str | None = None


class ActivationIn(msgspec.Struct, kw_only=True):
    """The code from the email."""

    code: Annotated[str, msgspec.Meta(max_length=20)]


class NewCodeIn(msgspec.Struct, kw_only=True):
    """Ask for a new code, optionally at a corrected address."""

    email: str | None = None


class SeedUnitIn(msgspec.Struct, kw_only=True):
    """An existing unit in VSS's registry, maybe with another provider; with `employees`,
    also the size of its workforce.
    """

    tax_code: str
    unit_code: str | None = None
    provider: str | None = None
    provider_certificate_sha256: str | None = None
    """The certificate registered with that provider (a stop must be signed with it)."""
    employees: int | None = None


class RejectionIn(msgspec.Struct, kw_only=True):
    """The officer's reason."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


def _employees(request: Request[Any, Any, Any]) -> SandboxEmployees:
    employees: SandboxEmployees = request.app.state.employees
    return employees


def _service(request: Request[Any, Any, Any]) -> SandboxService:
    service: SandboxService = request.app.state.sandbox
    return service


def _faults(request: Request[Any, Any, Any]) -> Faults:
    faults: Faults = request.app.state.faults
    return faults


def refused(exc: Refusal) -> Response[dict[str, str]]:
    return Response({"code": exc.code, "reason": exc.reason}, status_code=exc.status)


async def _guarded(request: Request[Any, Any, Any], key: str | None, work: Any) -> Response[Any]:
    """Apply the fault plan around `work` (a coroutine producing the answer)."""
    faults = _faults(request)
    failure = await faults.before()
    if failure is not None:
        work.close()
        return Response({"code": "unavailable", "reason": "injected"}, status_code=failure)
    try:
        result = await work
    except Refusal as exc:
        return refused(exc)
    if key is not None and faults.drop_after(key):
        return Response({"code": "dropped", "reason": "injected"}, status_code=504)
    # Encoded here in one step (a page of employees is thousands of rows).
    return Response(msgspec.json.encode(result), media_type=MediaType.JSON)


class SandboxController(Controller):
    """VSS as the platform's gateway client sees it."""

    path = "/"

    @post(
        "/dossiers",
        operation_id="vssSubmitDossier",
        status_code=200,
        request_max_body_size=SUBMITTED_DOSSIER,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SubmissionIn],
        idempotency_key: Annotated[str, HeaderParameter(name="Idempotency-Key")],
    ) -> Response[Any]:
        try:
            document = base64.b64decode(data.document, validate=True)
        except (binascii.Error, ValueError):
            return refused(Refusal("bad_document", "Tài liệu không phải base64."))
        submission = Submission(
            kind=data.kind,
            tax_code=data.tax_code,
            unit_name=data.unit_name,
            email=data.email,
            provider=data.provider,
            document=document,
            unit_code=data.unit_code,
        )
        work = _service(request).submit(submission, idempotency_key)
        return await _guarded(request, f"submit:{idempotency_key}", work)

    @get("/dossiers/{receipt_id:str}", operation_id="vssDossierStatus")
    async def status(
        self, request: Request[Any, Any, Any], receipt_id: FromPath[str]
    ) -> Response[Any]:
        return await _guarded(request, None, _service(request).status(receipt_id))

    @post("/dossiers/{receipt_id:str}/activation", operation_id="vssActivate", status_code=200)
    async def activate(
        self,
        request: Request[Any, Any, Any],
        receipt_id: FromPath[str],
        data: JSONBody[ActivationIn],
    ) -> Response[Any]:
        work = _service(request).activate(receipt_id, data.code)
        return await _guarded(request, f"activate:{receipt_id}", work)

    @post("/dossiers/{receipt_id:str}/activation-code", operation_id="vssNewCode", status_code=200)
    async def new_code(
        self, request: Request[Any, Any, Any], receipt_id: FromPath[str], data: JSONBody[NewCodeIn]
    ) -> Response[Any]:
        return await _guarded(
            request, None, _service(request).request_new_code(receipt_id, data.email)
        )

    @get("/units", operation_id="vssLookupUnit")
    async def lookup(
        self, request: Request[Any, Any, Any], tax_code: FromQuery[str]
    ) -> Response[Any]:
        return await _guarded(request, None, _service(request).lookup(tax_code))

    @get("/units/{unit_code:str}/employees", operation_id="vssEmployees")
    async def employees(
        self,
        request: Request[Any, Any, Any],
        unit_code: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 1000,
    ) -> Response[Any]:
        work = _employees(request).page(unit_code, cursor, limit)
        return await _guarded(request, None, work)


class OfficerController(Controller):
    """The officer's desk (and the test knobs), not part of the gateway interface."""

    path = "/"

    @post("/officer/dossiers/{receipt_id:str}/approve", operation_id="vssApprove", status_code=200)
    async def approve(
        self, request: Request[Any, Any, Any], receipt_id: FromPath[str]
    ) -> Response[Any]:
        try:
            return Response(msgspec.to_builtins(await _service(request).approve(receipt_id)))
        except Refusal as exc:
            return refused(exc)

    @post("/officer/dossiers/{receipt_id:str}/reject", operation_id="vssReject", status_code=200)
    async def reject(
        self,
        request: Request[Any, Any, Any],
        receipt_id: FromPath[str],
        data: JSONBody[RejectionIn],
    ) -> Response[Any]:
        try:
            return Response(
                msgspec.to_builtins(await _service(request).reject(receipt_id, data.reason))
            )
        except Refusal as exc:
            return refused(exc)

    @post("/test/faults", operation_id="vssSetFaults", status_code=200)
    async def set_faults(
        self, request: Request[Any, Any, Any], data: JSONBody[FaultPlan]
    ) -> FaultPlan:
        _faults(request).set(data)
        return data

    @post("/test/units", operation_id="vssSeedUnit", status_code=200)
    async def seed_unit(
        self, request: Request[Any, Any, Any], data: JSONBody[SeedUnitIn]
    ) -> Response[Any]:
        record = UnitRecord(
            tax_code=data.tax_code, unit_code=data.unit_code, provider=data.provider
        )
        try:
            if data.employees is not None:
                if not data.unit_code:
                    raise Refusal("unit_code_required", "Cần mã đơn vị để có danh sách lao động.")
                await _employees(request).set_size(data.unit_code, data.employees)
            seeded = await _service(request).seed_unit(record, data.provider_certificate_sha256)
            return Response(msgspec.to_builtins(seeded))
        except Refusal as exc:
            return refused(exc)

    @post(
        "/test/units/{unit_code:str}/employee-changes",
        operation_id="vssChangeEmployees",
        status_code=200,
    )
    async def change_employees(
        self,
        request: Request[Any, Any, Any],
        unit_code: FromPath[str],
        data: JSONBody[EmployeeChanges],
    ) -> Response[Any]:
        try:
            report: ChangeReport = await _employees(request).change(unit_code, data)
        except Refusal as exc:
            return refused(exc)
        return Response(msgspec.to_builtins(report))

    @get("/test/units/{unit_code:str}/employee-requests", operation_id="vssEmployeeRequests")
    async def employee_requests(
        self, request: Request[Any, Any, Any], unit_code: FromPath[str]
    ) -> list[str | None]:
        """The cursors asked for, in order: where each sync started or resumed."""
        return list(_employees(request).requested.get(unit_code, ()))

    @post(
        "/test/units/{tax_code:str}/provider-stopped",
        operation_id="vssProviderStopped",
        status_code=200,
    )
    async def provider_stopped(
        self, request: Request[Any, Any, Any], tax_code: FromPath[str]
    ) -> Response[Any]:
        """What the old provider's portal does when the user stops the service there."""
        try:
            return Response(msgspec.to_builtins(await _service(request).stop_provider(tax_code)))
        except Refusal as exc:
            return refused(exc)

    @get("/test/deliveries", operation_id="vssDeliveries")
    async def deliveries(self, request: Request[Any, Any, Any]) -> dict[str, int]:
        return await _service(request).deliveries()


__all__ = ["OfficerController", "Receipt", "SandboxController"]
