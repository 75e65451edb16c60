"""Deleting browser-session rows long after the session ended, so `sso_session` does not
grow with every sign-in forever. A worker cron calls it; it reads across tenants, as the
rows it removes belong to no live principal.
"""

from __future__ import annotations

import datetime as dt

from ebhxh.db.binding import system_access
from ebhxh.sso.tables import SsoSession

KEPT_AFTER_END = dt.timedelta(days=7)
"""A dead session's row stays this long: recent sign-ins remain visible to an operator
looking into an incident."""
BATCH = 1000
"""Rows deleted per statement: a backlog is cleared without one long lock."""


async def sweep_sessions(
    now: dt.datetime, idle: dt.timedelta, kept: dt.timedelta = KEPT_AFTER_END
) -> int:
    """Delete every session that ended (logout, absolute end or idle end) before
    `now - kept`; returns how many rows went.
    """
    cutoff = now - kept
    dead = (
        (SsoSession.ended_at < cutoff)
        | (SsoSession.expires_at < cutoff)
        | (SsoSession.last_seen_at < cutoff - idle)
    )
    deleted = 0
    with system_access():
        while True:
            batch = await SsoSession.select(SsoSession.id).where(dead).limit(BATCH)
            if not batch:
                return deleted
            await SsoSession.delete().where(SsoSession.id.is_in([row["id"] for row in batch]))
            deleted += len(batch)
            if len(batch) < BATCH:
                return deleted
