"""Jobs every worker runs regardless of domain."""

from __future__ import annotations

from typing import Any


async def canary(ctx: dict[str, Any]) -> str:
    """Answer with the worker's id: proves end to end that some worker consumes the queue."""
    return str(ctx["worker_id"])
