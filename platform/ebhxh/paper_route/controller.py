"""HTTP routes of the paper route: prepare, print the pack, record sent, record the code."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.auth.principal import Principal
from ebhxh.clock import today_in_vietnam
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.controller import answered, provide_dossiers
from ebhxh.errors.messages import Language
from ebhxh.paper_route.schemas import IssuedCodeIn, PaperDossierOut, SentIn
from ebhxh.paper_route.service import PaperRouteService
from ebhxh.tenancy.tables import Role


def provide_paper_route(
    request: Request[Any, Any, Any],
    tenant_scope: NamedDependency[TenantScope],
    language: NamedDependency[Language],
) -> PaperRouteService:
    dossiers = provide_dossiers(request, tenant_scope)
    return PaperRouteService(dossiers, language, today_in_vietnam(dossiers.clock))


class PaperRouteController(Controller):
    """A first-time unit's paper dossier to its social-insurance office."""

    path = "/units/{unit_id:uuid}/paper-dossier"
    tags = ["Paper route"]
    dependencies = {"paper": Provide(provide_paper_route, sync_to_thread=False)}

    @post(
        "/",
        operation_id="preparePaperDossier",
        summary="Prepare the unit's paper dossier (the same one if it exists)",
        guards=[requires(Role.HR)],
        status_code=200,
    )
    async def prepare(
        self, unit_id: FromPath[uuid.UUID], paper: NamedDependency[PaperRouteService]
    ) -> PaperDossierOut:
        return await paper.prepare(unit_id)

    @get("/", operation_id="getPaperDossier", summary="The unit's paper dossier and next step")
    async def get_paper_dossier(
        self, unit_id: FromPath[uuid.UUID], paper: NamedDependency[PaperRouteService]
    ) -> PaperDossierOut:
        return await paper.get(unit_id)

    @get(
        "/pack",
        operation_id="printPaperPack",
        summary="The printable pack (PDF): cover page to the office, the filled forms",
        media_type="application/pdf",
    )
    async def pack(
        self, unit_id: FromPath[uuid.UUID], paper: NamedDependency[PaperRouteService]
    ) -> Response[bytes]:
        return Response(
            await paper.pack(unit_id),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="ho-so-giay-{unit_id}.pdf"'},
        )

    @post(
        "/sent",
        operation_id="recordPaperSent",
        summary="Record when and how the pack was sent (post with tracking number, or desk)",
        guards=[requires(Role.HR)],
        status_code=200,
    )
    async def sent(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[SentIn],
        paper: NamedDependency[PaperRouteService],
    ) -> PaperDossierOut:
        return await paper.record_sent(unit_id, data)

    @post(
        "/unit-code",
        operation_id="recordPaperUnitCode",
        summary="Record the unit code the office issued (checked with VSS); the electronic "
        "service registration starts at once",
        guards=[requires(Role.SIGNER)],
        status_code=200,
    )
    async def unit_code(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[IssuedCodeIn],
        paper: NamedDependency[PaperRouteService],
        principal: NamedDependency[Principal],
    ) -> PaperDossierOut:
        return await answered(
            paper.record_code(unit_id, data.unit_code, f"user:{principal.user_id}")
        )
