"""HTTP routes of organisation sync."""

from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import requires
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.http.limits import ORGANISATION_TREE
from ebhxh.organisation.schemas import OrgNodeOut, OrgSyncReport, OrgTree, OrgTreePush
from ebhxh.organisation.service import OrganisationService
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.tenancy.tables import Role


class OrganisationController(Controller):
    """The tenant's organisation tree, pushed from its core HR system."""

    path = "/organisation"
    tags = ["Organisation"]

    @put(
        "/",
        operation_id="pushOrganisationTree",
        summary="Push the whole organisation tree (idempotent)",
        guards=[requires(Role.HR)],
        request_max_body_size=ORGANISATION_TREE,
    )
    async def push(
        self,
        data: JSONBody[OrgTreePush],
        tenant_scope: NamedDependency[TenantScope],
        catalogue: NamedDependency[PluginCatalogue],
    ) -> OrgSyncReport:
        report, event = await OrganisationService(tenant_scope).push(data.nodes)
        if report.created or report.updated or report.removed:
            catalogue.announce(event)
        return report

    @get("/", operation_id="getOrganisationTree", summary="The organisation tree")
    async def tree(self, tenant_scope: NamedDependency[TenantScope]) -> OrgTree:
        return await OrganisationService(tenant_scope).tree()

    @get("/nodes/{node_id:uuid}", operation_id="getOrganisationNode", summary="One node")
    async def node(
        self, node_id: FromPath[uuid.UUID], tenant_scope: NamedDependency[TenantScope]
    ) -> OrgNodeOut:
        return await OrganisationService(tenant_scope).node(node_id)
