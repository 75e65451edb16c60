"""Dossiers counted by tenant and state for the `ebhxh_dossiers` series.

This module reads the dossier table across tenants on purpose (it is on the tenant-scope
meta-test's allow-list): a metric is the operator's view of the whole platform, and it
returns nothing but counts keyed by tenant id and state.
"""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from ebhxh.db.binding import system_access
from ebhxh.dossiers.tables import Dossier


async def dossiers_by_state() -> list[tuple[str, str, int]]:
    """(tenant id, state, count) for every tenant and state that has dossiers."""
    with system_access():
        rows = await Dossier.select(Dossier.tenant, Dossier.state, Count(alias="n")).group_by(
            Dossier.tenant, Dossier.state
        )
        return [(str(row["tenant"]), str(row["state"]), int(row["n"])) for row in rows]
