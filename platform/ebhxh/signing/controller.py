"""HTTP routes of signature setup and signing."""

from __future__ import annotations

import uuid

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.documents.forms import FormKind
from ebhxh.errors.messages import Language
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.schemas import (
    CertificateList,
    SignatureSetupIn,
    SignatureSetupOut,
    SignerAccess,
    SignerTypeList,
    SignerTypeOut,
    SigningRequestIn,
    SigningRequestOut,
)
from ebhxh.signing.service import SigningService
from ebhxh.tenancy.preferences import enabled_plugins
from ebhxh.tenancy.tables import Role

PDF = "application/pdf"


def provide_signing(
    request: Request,  # type: ignore[type-arg]
    tenant_scope: NamedDependency[TenantScope],
    catalogue: NamedDependency[PluginCatalogue],
    language: NamedDependency[Language],
) -> SigningService:
    environment: SigningEnvironment = request.app.state.signing
    return SigningService(tenant_scope, catalogue, environment, language)


class SigningController(Controller):
    """A unit's digital signature: setup, forms, and signing requests."""

    path = "/"
    tags = ["Signing"]
    dependencies = {"signing": Provide(provide_signing, sync_to_thread=False)}

    @get(
        "/signer-types", operation_id="listSignerTypes", summary="Signer types this tenant may use"
    )
    async def signer_types(
        self, catalogue: NamedDependency[PluginCatalogue], principal: NamedDependency[Principal]
    ) -> SignerTypeList:
        enabled = await enabled_plugins(principal.tenant_id)
        return SignerTypeList(
            signer_types=[
                SignerTypeOut(name=s.name, label=s.label, secret_names=list(s.secret_names))
                for n in catalogue.signer_type_names()
                if enabled is None or catalogue.signer_type_distribution(n) in enabled
                if (s := catalogue.signer_type(n)) is not None
            ]
        )

    @post(
        "/units/{unit_id:uuid}/signature/certificates",
        operation_id="discoverCertificates",
        summary="Certificates a signer offers, each checked against the unit",
        guards=[requires(Role.HR, Role.SIGNER)],
        status_code=200,
    )
    async def discover(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[SignerAccess],
        signing: NamedDependency[SigningService],
    ) -> CertificateList:
        return await signing.offered_certificates(unit_id, data)

    @put(
        "/units/{unit_id:uuid}/signature",
        operation_id="setUpSignature",
        summary="Choose the unit's signer type and certificate (checked now and at every signing)",
        guards=[requires(Role.HR, Role.SIGNER)],
    )
    async def set_up(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[SignatureSetupIn],
        signing: NamedDependency[SigningService],
    ) -> SignatureSetupOut:
        return await signing.set_up(unit_id, data)

    @get(
        "/units/{unit_id:uuid}/signature",
        operation_id="getSignatureSetup",
        summary="The unit's signature setup (secrets are never returned)",
    )
    async def get_setup(
        self, unit_id: FromPath[uuid.UUID], signing: NamedDependency[SigningService]
    ) -> SignatureSetupOut:
        return await signing.setup(unit_id)

    @get(
        "/units/{unit_id:uuid}/forms/{form:str}",
        operation_id="renderForm",
        summary="The unit's form as an unsigned PDF (tk3-ts, 01-dk-gd, ...)",
        media_type=PDF,
    )
    async def render_form(
        self,
        unit_id: FromPath[uuid.UUID],
        form: FromPath[FormKind],
        signing: NamedDependency[SigningService],
    ) -> Response[bytes]:
        pdf, _ = await signing.render(unit_id, form)
        return Response(pdf, media_type=PDF)

    @post(
        "/units/{unit_id:uuid}/signing-requests",
        operation_id="signForm",
        summary="Render a form and sign it with the unit's signature",
        guards=[requires(Role.SIGNER)],
    )
    async def sign(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[SigningRequestIn],
        signing: NamedDependency[SigningService],
    ) -> SigningRequestOut:
        return await signing.sign(unit_id, data.form)

    @get(
        "/signing-requests/{request_id:uuid}",
        operation_id="getSigningRequest",
        summary="A signing request's state",
    )
    async def get_request(
        self, request_id: FromPath[uuid.UUID], signing: NamedDependency[SigningService]
    ) -> SigningRequestOut:
        return await signing.request(request_id)

    @get(
        "/signing-requests/{request_id:uuid}/document",
        operation_id="getSignedDocument",
        summary="The signed PDF of a finished request",
        media_type=PDF,
    )
    async def document(
        self, request_id: FromPath[uuid.UUID], signing: NamedDependency[SigningService]
    ) -> Response[bytes]:
        return Response(await signing.signed_document(request_id), media_type=PDF)
