"""Organisation sync: reconcile the tenant's stored tree with a pushed one, idempotently."""

from __future__ import annotations

import uuid
from typing import Any

from ebhxh.db.errors import is_conflict
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.events.model import OrganisationSynced
from ebhxh.organisation.schemas import OrgNodeIn, OrgNodeOut, OrgSyncReport, OrgTree
from ebhxh.organisation.tables import NodeKind, OrgNode
from ebhxh.organisation.tree import checked_tree
from ebhxh.units.tables import InsuranceUnit

_FIELDS = ("kind", "name", "tax_code", "parent")


class OrganisationService:
    """The organisation tree of the scope's tenant."""

    def __init__(self, scope: TenantScope) -> None:
        self.scope = scope

    async def push(self, nodes: list[OrgNodeIn]) -> tuple[OrgSyncReport, OrganisationSynced]:
        """Make the stored tree equal to `nodes`; report what changed.

        All or nothing: removing a node a unit is declared on, or turning it into a
        department, refuses the whole push (409) and changes nothing; so does a collision
        with a concurrent push or declaration (409 `conflict`: push again).
        """
        try:
            return await self._push(checked_tree(nodes))
        except Exception as exc:
            if is_conflict(exc):
                raise ProblemError(ErrorCode.CONFLICT, status=409) from exc
            raise

    async def _push(self, ordered: list[OrgNodeIn]) -> tuple[OrgSyncReport, OrganisationSynced]:
        async with self.scope.transaction():
            stored = {row["external_id"]: row for row in await self._stored_rows()}
            ids = {ext: row["id"] for ext, row in stored.items()}
            for node in ordered:
                ids.setdefault(node.external_id, uuid.uuid4())
            pushed = {node.external_id for node in ordered}
            removed = sorted(set(stored) - pushed)
            await self._refuse_breaking_units(ordered, stored, removed)

            created = [node for node in ordered if node.external_id not in stored]
            if created:
                await self.scope.insert(
                    OrgNode,
                    *(
                        self.scope.new(
                            OrgNode,
                            id=ids[n.external_id],
                            external_id=n.external_id,
                            **_values(n),
                        )
                        for n in created
                    ),
                )
            updated: list[str] = []
            for node in ordered:
                wanted = {**_values(node), "parent": _parent_id(node, ids)}
                current = stored.get(node.external_id)
                if current is None:
                    if wanted["parent"] is not None:
                        await self._update(ids[node.external_id], {"parent": wanted["parent"]})
                    continue
                if any(_same(current[f]) != _same(wanted[f]) for f in _FIELDS):
                    await self._update(ids[node.external_id], wanted)
                    updated.append(node.external_id)
            if removed:
                removed_ids = [ids[ext] for ext in removed]
                await self.scope.update(OrgNode, {OrgNode.parent: None}).where(
                    OrgNode.id.is_in(removed_ids)
                )
                await self.scope.delete(OrgNode).where(OrgNode.id.is_in(removed_ids))
        report = OrgSyncReport(
            created=[n.external_id for n in created],
            updated=updated,
            removed=removed,
            unchanged=len(ordered) - len(created) - len(updated),
        )
        event = OrganisationSynced(
            tenant_id=str(self.scope.tenant_id),
            created=len(report.created),
            updated=len(report.updated),
            removed=len(report.removed),
        )
        return report, event

    async def tree(self) -> OrgTree:
        rows = await self._stored_rows()
        by_id = {row["id"]: row["external_id"] for row in rows}
        nodes = [
            OrgNodeIn(
                external_id=row["external_id"],
                kind=NodeKind(row["kind"]),
                name=row["name"],
                parent_external_id=by_id.get(row["parent"]),
                tax_code=row["tax_code"],
            )
            for row in rows
        ]
        ids = {row["external_id"]: row["id"] for row in rows}
        return OrgTree(nodes=[_out(node, ids) for node in checked_tree(nodes)])

    async def node(self, node_id: uuid.UUID) -> OrgNodeOut:
        row = await self.scope.select(OrgNode, *_COLUMNS).where(OrgNode.id == node_id).first()
        if row is None:
            raise ProblemError(
                ErrorCode.ORG_NODE_NOT_FOUND, status=404, params={"value": str(node_id)}
            )
        parent = None
        if row["parent"] is not None:
            parent_row = (
                await self.scope.select(OrgNode, OrgNode.external_id)
                .where(OrgNode.id == row["parent"])
                .first()
            )
            parent = parent_row["external_id"] if parent_row else None
        node = OrgNodeIn(
            external_id=row["external_id"],
            kind=NodeKind(row["kind"]),
            name=row["name"],
            parent_external_id=parent,
            tax_code=row["tax_code"],
        )
        return _out(node, {row["external_id"]: row["id"]})

    async def _stored_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.scope.select(OrgNode, *_COLUMNS).order_by(
            OrgNode.external_id
        )
        return rows

    async def _update(self, node_id: uuid.UUID, values: dict[str, Any]) -> None:
        columns = {OrgNode._meta.get_column_by_name(k): v for k, v in values.items()}
        await self.scope.update(OrgNode, columns).where(OrgNode.id == node_id)

    async def _refuse_breaking_units(
        self, ordered: list[OrgNodeIn], stored: dict[str, Any], removed: list[str]
    ) -> None:
        units = await self.scope.select(InsuranceUnit, InsuranceUnit.org_node)
        used = {row["org_node"] for row in units}
        by_id = {row["id"]: ext for ext, row in stored.items()}
        for ext in removed:
            if stored[ext]["id"] in used:
                raise ProblemError(
                    ErrorCode.ORG_NODE_IN_USE, status=409, field="nodes", params={"value": ext}
                )
        for position, node in enumerate(ordered):
            row = stored.get(node.external_id)
            if row and row["id"] in used and not node.kind.is_legal_entity:
                raise ProblemError(
                    ErrorCode.ORG_NODE_NOT_LEGAL_ENTITY,
                    status=409,
                    field=f"nodes[{position}].kind",
                    params={"value": by_id[row["id"]], "kind": node.kind.value},
                )


_COLUMNS = (
    OrgNode.id,
    OrgNode.external_id,
    OrgNode.parent,
    OrgNode.kind,
    OrgNode.name,
    OrgNode.tax_code,
)


def _values(node: OrgNodeIn) -> dict[str, Any]:
    return {"kind": node.kind.value, "name": node.name, "tax_code": node.tax_code}


def _parent_id(node: OrgNodeIn, ids: dict[str, uuid.UUID]) -> uuid.UUID | None:
    return ids[node.parent_external_id] if node.parent_external_id else None


def _same(value: Any) -> Any:
    """Compare UUIDs and their text form alike (SQLite returns either)."""
    return str(value) if isinstance(value, uuid.UUID) else value


def _out(node: OrgNodeIn, ids: dict[str, Any]) -> OrgNodeOut:
    return OrgNodeOut(
        id=uuid.UUID(str(ids[node.external_id])),
        external_id=node.external_id,
        parent_external_id=node.parent_external_id,
        kind=node.kind,
        name=node.name,
        tax_code=node.tax_code,
        legal_entity=node.kind.is_legal_entity,
    )
