"""Every Redis key the platform writes besides arq's own, in one place."""

from __future__ import annotations

PREFIX = "ebhxh:"


def worker_heartbeat(worker_id: str) -> str:
    """Set by each worker every few seconds with a short TTL: its own liveness signal."""
    return f"{PREFIX}worker:{worker_id}:heartbeat"


WORKER_HEARTBEAT_PATTERN = f"{PREFIX}worker:*:heartbeat"
