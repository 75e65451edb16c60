"""Check a pushed organisation tree and order it parents first (pure, no database)."""

from __future__ import annotations

import msgspec

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.identifiers import normalise_tax_code
from ebhxh.organisation.schemas import OrgNodeIn


def checked_tree(nodes: list[OrgNodeIn]) -> list[OrgNodeIn]:
    """The nodes with tax codes normalised, parents before children.

    Refuses (422, naming the field) a duplicate external id, a parent that is not in the
    push, a cycle, and a malformed tax code.
    """
    index: dict[str, int] = {}
    for position, node in enumerate(nodes):
        if node.external_id in index:
            raise ProblemError(
                ErrorCode.ORG_DUPLICATE_EXTERNAL_ID,
                field=f"nodes[{position}].external_id",
                params={"value": node.external_id},
            )
        index[node.external_id] = position
    normalised: list[OrgNodeIn] = []
    for position, given in enumerate(nodes):
        parent = given.parent_external_id
        if parent is not None and parent not in index:
            raise ProblemError(
                ErrorCode.ORG_UNKNOWN_PARENT,
                field=f"nodes[{position}].parent_external_id",
                params={"value": parent},
            )
        node = given
        if given.tax_code:
            tax_code = normalise_tax_code(given.tax_code, field=f"nodes[{position}].tax_code")
            node = msgspec.structs.replace(given, tax_code=tax_code)
        normalised.append(node)
    return _parents_first(normalised, index)


def _parents_first(nodes: list[OrgNodeIn], index: dict[str, int]) -> list[OrgNodeIn]:
    ordered: list[OrgNodeIn] = []
    placed: set[str] = set()
    for start in nodes:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start.external_id
        while current is not None and current not in placed:
            if current in on_path:
                cycle = [*path[path.index(current) :], current]
                raise ProblemError(
                    ErrorCode.ORG_CYCLE,
                    field=f"nodes[{index[current]}].parent_external_id",
                    params={"value": " -> ".join(cycle)},
                )
            path.append(current)
            on_path.add(current)
            current = nodes[index[current]].parent_external_id
        for external_id in reversed(path):
            ordered.append(nodes[index[external_id]])
            placed.add(external_id)
    return ordered
