"""arq jobs of single sign-on: the hourly sweep of long-dead browser sessions.

The worker's context carries `runtime` (its settings) and `clock`; see `ebhxh.worker.settings`.
"""

from __future__ import annotations

from typing import Any

from ebhxh.sso.sessions import idle_limit
from ebhxh.sso.sweep import sweep_sessions


async def sweep_sso_sessions(ctx: dict[str, Any]) -> int:
    """Delete session rows dead for longer than `ebhxh.sso.sweep.KEPT_AFTER_END`."""
    idle = idle_limit(ctx["runtime"].settings)
    deleted: int = await sweep_sessions(ctx["clock"].now(), idle)
    return deleted
