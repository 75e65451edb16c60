"""The lifecycle events plugins receive: one tagged Struct per kind of event.

Events are announced after the change is committed, so a plugin never sees a change that
was rolled back; a plugin that fails is logged and does not undo or block the change.
"""

from __future__ import annotations

import msgspec


class UnitDeclared(msgspec.Struct, frozen=True, tag="unit.declared", kw_only=True):
    """A tenant declared an insurance unit."""

    tenant_id: str
    unit_id: str
    province_code: str
    route: str


class OrganisationSynced(msgspec.Struct, frozen=True, tag="organisation.synced", kw_only=True):
    """A tenant pushed its organisation tree and something changed."""

    tenant_id: str
    created: int
    updated: int
    removed: int


LifecycleEvent = UnitDeclared | OrganisationSynced
