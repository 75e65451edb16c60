"""Request and response bodies of organisation sync."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from ebhxh.organisation.tables import NodeKind
from ebhxh.text import PRINTABLE

ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
NodeName = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=PRINTABLE)]
MAX_NODES = 5000


class OrgNodeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A node as the HR system knows it; the parent is named by its external id."""

    external_id: ExternalId
    kind: NodeKind
    name: NodeName
    parent_external_id: ExternalId | None = None
    tax_code: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class OrgTreePush(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The whole organisation: nodes not in the push are removed."""

    nodes: Annotated[list[OrgNodeIn], msgspec.Meta(max_length=MAX_NODES)]


class OrgSyncReport(msgspec.Struct, kw_only=True):
    """What a push changed, by external id."""

    created: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: int


class OrgNodeOut(msgspec.Struct, kw_only=True):
    """A node of the tenant's organisation."""

    id: uuid.UUID
    external_id: str
    parent_external_id: str | None
    kind: NodeKind
    name: str
    tax_code: str | None
    legal_entity: bool


class OrgTree(msgspec.Struct, kw_only=True):
    """The tenant's organisation, parents before children."""

    nodes: list[OrgNodeOut]
