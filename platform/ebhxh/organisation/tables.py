"""Piccolo table of the organisation tree: one row per node, linked to its parent."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.tenancy.tables import Tenant


class NodeKind(StrEnum):
    """What a node of the organisation is."""

    COMPANY = "company"
    BRANCH = "branch"
    SUBSIDIARY = "subsidiary"
    DEPARTMENT = "department"

    @property
    def is_legal_entity(self) -> bool:
        """Companies, branches and subsidiaries can be insurance units; departments cannot."""
        return self is not NodeKind.DEPARTMENT


class OrgNode(Table, tablename="org_node"):
    """A node of a tenant's organisation, identified by the HR system's external id."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    external_id = Varchar(length=100)
    parent: ForeignKey[OrgNode] = ForeignKey(
        "self", on_delete=OnDelete.restrict, null=True, default=None
    )
    kind = Varchar(length=16, choices=NodeKind)
    name = Varchar(length=255)
    tax_code = Varchar(length=14, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
