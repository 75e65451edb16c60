"""Signature setup (seed step 3.3) and signing a unit's forms through its signer type.

Setup: the signer type lists its certificates; the chosen one must pass the certificate
checks for the unit's tax code; the signer's secrets are stored encrypted. Signing: render
the form, prepare the PAdES signature, persist the prepared state, ask the signer type;
when the value arrives (now or later, through `complete`), finish, validate, and store the
signed PDF. A failure marks the request failed and leaves nothing half-signed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import structlog

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.documents.forms import (
    FormKind,
    FormRequest,
)
from ebhxh.documents.render import render_form
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import Language, render
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.signing import pades
from ebhxh.signing.certificates import CertificateSummary, check_certificate, summarise
from ebhxh.signing.contract import (
    SIGNING_TENANT,
    ReportsCertificates,
    SignaturePending,
    SignatureRequest,
    SignerType,
)
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.renewal import certificate_change
from ebhxh.signing.schemas import (
    CertificateChangeOut,
    CertificateList,
    CertificateOut,
    SignatureSetupIn,
    SignatureSetupOut,
    SignerAccess,
    SigningRequestOut,
)
from ebhxh.signing.tables import SignatureSetup, SigningRequest, SigningState
from ebhxh.signing.validation import validate_signed_pdf
from ebhxh.tenancy.preferences import enabled_plugins
from ebhxh.units.forms import form_request
from ebhxh.units.lookup import unit_row

log = structlog.get_logger(__name__)


def _certificate_out(
    summary: CertificateSummary, problem: ProblemError | None, language: Language = "vi"
) -> CertificateOut:
    return CertificateOut(
        sha256=summary.sha256,
        serial=summary.serial,
        subject=summary.subject,
        issuer=summary.issuer,
        not_before=summary.not_before,
        not_after=summary.not_after,
        usable=problem is None,
        problem_code=problem.code.value if problem else None,
        problem=render(problem.code, language, problem.params) if problem else None,
    )


class SigningService:
    """Signature setup and signing for the units of the scope's tenant."""

    def __init__(
        self,
        scope: TenantScope,
        catalogue: PluginCatalogue,
        environment: SigningEnvironment,
        language: Language = "vi",
    ) -> None:
        self.language = language
        self.scope = scope
        self.catalogue = catalogue
        self.env = environment

    # --- setup -------------------------------------------------------------------------

    async def _signer(self, name: str) -> SignerType:
        signer = self.catalogue.signer_type(name)
        if signer is None:
            raise ProblemError(
                ErrorCode.SIGNER_TYPE_UNKNOWN, field="signer_type", params={"value": name}
            )
        enabled = await enabled_plugins(self.scope.tenant_id)
        if enabled is not None and self.catalogue.signer_type_distribution(name) not in enabled:
            raise ProblemError(
                ErrorCode.SIGNER_TYPE_NOT_ENABLED, field="signer_type", params={"value": name}
            )
        return signer

    async def _unit(self, unit_id: uuid.UUID) -> dict[str, Any]:
        return await unit_row(self.scope, unit_id)

    async def _checked(self, der: bytes, tax_code: str) -> CertificateSummary:
        return await check_certificate(
            der, tax_code=tax_code, trust=self.env.trust, now=self.env.clock.now()
        )

    async def offered_certificates(
        self, unit_id: uuid.UUID, access: SignerAccess
    ) -> CertificateList:
        """The signer's certificates, each checked against the unit (problems explained)."""
        unit = await self._unit(unit_id)
        signer = await self._signer(access.signer_type)
        with _for_tenant(self.scope):
            offered = await signer.list_certificates(access.settings, access.secrets)
        certificates = []
        for der in offered:
            try:
                summary = summarise(der)
            except ValueError:  # an object on the device that is not a certificate we read
                log.warning("certificate_unreadable", signer_type=access.signer_type)
                continue
            problem: ProblemError | None = None
            try:
                await self._checked(der, unit["tax_code"])
            except ProblemError as refused:
                problem = refused
            certificates.append(_certificate_out(summary, problem, self.language))
        return CertificateList(certificates=certificates)

    async def set_up(self, unit_id: uuid.UUID, data: SignatureSetupIn) -> SignatureSetupOut:
        """Check the chosen certificate and store the setup (replacing any earlier one)."""
        unit = await self._unit(unit_id)
        signer = await self._signer(data.signer_type)
        with _for_tenant(self.scope):
            offered = await signer.list_certificates(data.settings, data.secrets)
        chosen = next(
            (
                der
                for der in offered
                if hashlib.sha256(der).hexdigest() == data.certificate_sha256.lower()
            ),
            None,
        )
        if chosen is None:
            raise ProblemError(ErrorCode.CERT_NOT_OFFERED, field="certificate_sha256")
        summary = await self._checked(chosen, unit["tax_code"])
        unknown = set(data.secrets) - set(signer.secret_names)
        if unknown:
            raise ProblemError(
                ErrorCode.SIGNER_SETTINGS,
                field="secrets",
                params={"reason": f"not secrets of {signer.name}: {', '.join(sorted(unknown))}"},
            )
        ciphertext = self.env.secrets.encrypt(json.dumps(data.secrets).encode())
        values = {
            "signer_type": signer.name,
            "settings": json.dumps(data.settings),
            "secrets_ciphertext": ciphertext,
            "certificate": chosen,
            "certificate_sha256": summary.sha256,
            "certificate_serial": summary.serial,
            "certificate_subject": summary.subject,
            "not_before": summary.not_before,
            "not_after": summary.not_after,
            "checked_at": self.env.clock.now(),
        }
        async with self.scope.transaction():
            existing = (
                await self.scope.select(SignatureSetup, SignatureSetup.id)
                .where(SignatureSetup.unit == unit_id)
                .first()
            )
            if existing is None:
                await self.scope.insert(
                    SignatureSetup, self.scope.new(SignatureSetup, unit=unit_id, **values)
                )
            else:
                columns = {SignatureSetup._meta.get_column_by_name(k): v for k, v in values.items()}
                await self.scope.update(SignatureSetup, columns).where(
                    SignatureSetup.id == existing["id"]
                )
        log.info("signature_set_up", unit_id=str(unit_id), signer_type=signer.name)
        return await self.setup(unit_id)

    async def _setup_row(self, unit_id: uuid.UUID) -> dict[str, Any]:
        await self._unit(unit_id)
        row: dict[str, Any] | None = (
            await self.scope.select(SignatureSetup).where(SignatureSetup.unit == unit_id).first()
        )
        if row is None:
            raise ProblemError(ErrorCode.SIGNATURE_SETUP_MISSING, status=409)
        return row

    async def setup(self, unit_id: uuid.UUID) -> SignatureSetupOut:
        row = await self._setup_row(unit_id)
        secrets = json.loads(self.env.secrets.decrypt(bytes(row["secrets_ciphertext"])))
        return SignatureSetupOut(
            unit_id=unit_id,
            signer_type=row["signer_type"],
            settings=_json_dict(row["settings"]),
            secrets_set=sorted(secrets),
            certificate=_certificate_out(summarise(bytes(row["certificate"])), None),
            checked_at=row["checked_at"],
            certificate_change=await self._certificate_change(unit_id, row),
        )

    async def _certificate_change(
        self, unit_id: uuid.UUID, row: dict[str, Any]
    ) -> CertificateChangeOut | None:
        """The renewed certificate a reporting signer's device holds instead, explained."""
        signer = self.catalogue.signer_type(row["signer_type"])
        if not isinstance(signer, ReportsCertificates):
            return None
        with _for_tenant(self.scope):
            reported = await signer.reported_certificates(_json_dict(row["settings"]))
        if reported is None:
            return None
        unit = await self._unit(unit_id)
        change = certificate_change(bytes(row["certificate"]), reported, unit["tax_code"])
        if change is None:
            return None
        return CertificateChangeOut(
            code=ErrorCode.CERT_CHANGED_ON_TOKEN.value,
            message=change.explained(self.language),
            new_certificate=_certificate_out(change.new, None, self.language),
            next_steps=[
                f"PUT /units/{unit_id}/signature with certificate_sha256={change.new.sha256}",
                "the change-of-registration dossier (form change-registration) with the new "
                "certificate",
            ],
        )

    # --- signing -------------------------------------------------------------------------

    async def render(self, unit_id: uuid.UUID, form: FormKind) -> tuple[bytes, bytes]:
        """The unit's form (PDF, XML), with the set-up certificate when there is one."""
        unit = await self._unit(unit_id)
        certificate = None
        setup = (
            await self.scope.select(SignatureSetup, SignatureSetup.certificate)
            .where(SignatureSetup.unit == unit_id)
            .first()
        )
        if setup is not None:
            certificate = bytes(setup["certificate"])
        return render_form(self._form_request(unit, form, certificate))

    def _form_request(
        self,
        unit: dict[str, Any],
        form: FormKind,
        certificate: bytes | None,
        previous_provider: str = "",
        reason: str = "",
        changes: tuple[tuple[str, str, str], ...] = (),
    ) -> FormRequest:
        return form_request(
            unit,
            form,
            catalogue=self.catalogue,
            drawn_up_on=self.env.clock.now().date(),
            certificate=certificate,
            previous_provider=previous_provider,
            reason=reason,
            changes=changes,
        )

    async def sign(
        self,
        unit_id: uuid.UUID,
        form: FormKind,
        *,
        previous_provider: str = "",
        reason: str = "",
        changes: tuple[tuple[str, str, str], ...] = (),
    ) -> SigningRequestOut:
        """Render `form`, prepare it, and ask the unit's signer type for the value.

        A stop of service names the old provider and the unit's reason; a change of
        registration lists its `changes` (what, old, new).
        """
        unit = await self._unit(unit_id)
        setup = await self._setup_row(unit_id)
        certificate = bytes(setup["certificate"])
        await self._checked(certificate, unit["tax_code"])  # again: it may have expired
        pdf, declaration = render_form(
            self._form_request(unit, form, certificate, previous_provider, reason, changes)
        )
        prepared = await pades.prepare(pdf, certificate)
        now = self.env.clock.now()
        request = self.scope.new(
            SigningRequest,
            unit=unit_id,
            form=form.value,
            state=SigningState.PENDING,
            signer_type=setup["signer_type"],
            document_sha256=hashlib.sha256(pdf).hexdigest(),
            prepared=prepared.to_bytes(),
            xml_declaration=declaration,
            expires_at=now + self.env.request_lifetime,
        )
        await self.scope.insert(SigningRequest, request)
        signer = await self._signer(setup["signer_type"])
        secrets = json.loads(self.env.secrets.decrypt(bytes(setup["secrets_ciphertext"])))
        try:
            outcome = await signer.request_signature(
                SignatureRequest(
                    request_id=str(request.id),
                    tenant_id=str(self.scope.tenant_id),
                    unit_id=str(unit_id),
                    certificate_der=certificate,
                    to_be_signed=prepared.to_be_signed,
                    description=f"{unit['name']} · {form.value} · {request.document_sha256}",
                    settings=_json_dict(setup["settings"]),
                    secrets=secrets,
                )
            )
        except ProblemError as refused:
            await self._fail(request.id, refused.code)
            raise
        except Exception as exc:  # a signer plugin's own failure: say so, never a 500
            await self._fail(request.id, ErrorCode.SIGNER_UNAVAILABLE)
            log.exception("signer_failed", signing_request_id=str(request.id))
            raise ProblemError(
                ErrorCode.SIGNER_UNAVAILABLE,
                status=502,
                field="signer",
                params={"reason": type(exc).__name__},
            ) from exc
        if isinstance(outcome, SignaturePending):
            await self.scope.update(
                SigningRequest,
                {
                    SigningRequest.waiting_for: outcome.waiting_for,
                    SigningRequest.signer_state: self._seal(outcome.state),
                },
            ).where(SigningRequest.id == request.id, SigningRequest.state == SigningState.PENDING)
            return await self.request(request.id)
        return await self.complete(request.id, outcome.value)

    async def complete(self, request_id: uuid.UUID, signature_value: bytes) -> SigningRequestOut:
        """Finish a pending request with its signature value, validate, store the PDF."""
        row = await self._request_row(request_id)
        state = SigningState(row["state"])
        if state is not SigningState.PENDING:
            raise ProblemError(
                ErrorCode.SIGNING_REQUEST_STATE, status=409, params={"state": state.value}
            )
        if self.env.clock.now() > row["expires_at"]:
            await self._set_state(
                request_id, SigningState.EXPIRED, ErrorCode.SIGNING_REQUEST_EXPIRED.value
            )
            raise ProblemError(
                ErrorCode.SIGNING_REQUEST_STATE, status=409, params={"state": "expired"}
            )
        prepared = pades.PreparedSignature.from_bytes(bytes(row["prepared"]))
        unit = await self._unit(row["unit"])
        try:
            signed = await pades.finish(prepared, signature_value)
            await validate_signed_pdf(
                signed,
                trust=self.env.trust,
                tax_code=unit["tax_code"],
                now=self.env.clock.now(),
                expected_xml=bytes(row["xml_declaration"]),
            )
        except pades.SignatureValueInvalid as exc:
            await self._fail(request_id, ErrorCode.SIGNATURE_VALUE_INVALID)
            raise ProblemError(ErrorCode.SIGNATURE_VALUE_INVALID, field="signature") from exc
        except ProblemError as refused:
            await self._fail(request_id, refused.code)
            raise
        await self.scope.update(
            SigningRequest,
            {
                SigningRequest.state: SigningState.SIGNED,
                SigningRequest.signed_pdf: signed,
                SigningRequest.waiting_for: None,
                SigningRequest.finished_at: self.env.clock.now(),
            },
        ).where(SigningRequest.id == request_id)
        log.info("document_signed", signing_request_id=str(request_id), form=row["form"])
        return await self.request(request_id)

    async def fail(self, request_id: uuid.UUID, code: ErrorCode) -> SigningRequestOut:
        """Settle a pending request without a value: the signer type gave up with `code`
        (refused, service down) or the request ran out of time
        (`SIGNING_REQUEST_EXPIRED`, which marks it expired). A settled request is a 409.
        """
        row = await self._request_row(request_id)
        if row["state"] != SigningState.PENDING:
            raise ProblemError(
                ErrorCode.SIGNING_REQUEST_STATE, status=409, params={"state": row["state"]}
            )
        if code is ErrorCode.SIGNING_REQUEST_EXPIRED:
            await self._set_state(request_id, SigningState.EXPIRED, code.value)
        else:
            await self._fail(request_id, code)
        return await self.request(request_id)

    async def save_signer_state(self, request_id: uuid.UUID, state: Mapping[str, Any]) -> None:
        """Replace what the signer type remembers about a pending request (encrypted)."""
        await self.scope.update(
            SigningRequest, {SigningRequest.signer_state: self._seal(state)}
        ).where(SigningRequest.id == request_id, SigningRequest.state == SigningState.PENDING)

    async def set_waiting_for(self, request_id: uuid.UUID, waiting_for: str) -> None:
        """Say what a pending request now waits for."""
        await self.scope.update(
            SigningRequest, {SigningRequest.waiting_for: waiting_for[:255]}
        ).where(SigningRequest.id == request_id, SigningRequest.state == SigningState.PENDING)

    def _seal(self, state: Mapping[str, Any]) -> bytes | None:
        return self.env.secrets.encrypt(json.dumps(dict(state)).encode()) if state else None

    def unseal(self, ciphertext: bytes | None) -> dict[str, Any]:
        """A request's signer state (empty when the signer keeps none)."""
        if not ciphertext:
            return {}
        state: dict[str, Any] = json.loads(self.env.secrets.decrypt(bytes(ciphertext)))
        return state

    async def _fail(self, request_id: uuid.UUID, code: ErrorCode) -> None:
        await self._set_state(request_id, SigningState.FAILED, code.value)
        log.info("signing_failed", signing_request_id=str(request_id), code=code.value)

    async def _set_state(
        self, request_id: uuid.UUID, state: SigningState, code: str | None
    ) -> None:
        await self.scope.update(
            SigningRequest,
            {
                SigningRequest.state: state,
                SigningRequest.failure_code: code,
                SigningRequest.finished_at: self.env.clock.now(),
            },
        ).where(SigningRequest.id == request_id)

    async def _request_row(self, request_id: uuid.UUID) -> dict[str, Any]:
        row: dict[str, Any] | None = (
            await self.scope.select(SigningRequest).where(SigningRequest.id == request_id).first()
        )
        if row is None:
            raise ProblemError(ErrorCode.SIGNING_REQUEST_NOT_FOUND, status=404)
        return row

    async def request(self, request_id: uuid.UUID) -> SigningRequestOut:
        """The request's state; a pending one past its expiry is marked expired first."""
        row = await self._request_row(request_id)
        if row["state"] == SigningState.PENDING and self.env.clock.now() > row["expires_at"]:
            await self._set_state(
                request_id, SigningState.EXPIRED, ErrorCode.SIGNING_REQUEST_EXPIRED.value
            )
            row = await self._request_row(request_id)
        return SigningRequestOut(
            id=uuid.UUID(str(row["id"])),
            unit_id=uuid.UUID(str(row["unit"])),
            form=FormKind(row["form"]),
            state=SigningState(row["state"]),
            signer_type=row["signer_type"],
            waiting_for=row["waiting_for"],
            failure_code=row["failure_code"],
            document_sha256=row["document_sha256"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            finished_at=row["finished_at"],
        )

    async def signed_document(self, request_id: uuid.UUID) -> bytes:
        row = await self._request_row(request_id)
        if row["state"] != SigningState.SIGNED or row["signed_pdf"] is None:
            raise ProblemError(
                ErrorCode.SIGNING_REQUEST_STATE, status=409, params={"state": row["state"]}
            )
        return bytes(row["signed_pdf"])


@contextlib.contextmanager
def _for_tenant(scope: TenantScope) -> Iterator[None]:
    """Tell the signer type whose tenant a call is for (`SIGNING_TENANT`)."""
    token = SIGNING_TENANT.set(scope.tenant_id)
    try:
        yield
    finally:
        SIGNING_TENANT.reset(token)


def _json_dict(value: Any) -> dict[str, str]:
    data = json.loads(value) if isinstance(value, str | bytes) else value
    return {str(k): str(v) for k, v in (data or {}).items()} if isinstance(data, Mapping) else {}
