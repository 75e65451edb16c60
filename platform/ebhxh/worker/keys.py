"""Every Redis key the platform writes besides arq's own, in one place."""

from __future__ import annotations

PREFIX = "ebhxh:"


def worker_heartbeat(worker_id: str) -> str:
    """Set by each worker every few seconds with a short TTL: its own liveness signal."""
    return f"{PREFIX}worker:{worker_id}:heartbeat"


WORKER_HEARTBEAT_PATTERN = f"{PREFIX}worker:*:heartbeat"


def queue_key(queue_name: str) -> str:
    """The arq queue: a sorted set named exactly as the queue (job ids scored by run time)."""
    return queue_name


def plugin_key(namespace: str, plugin: str, name: str) -> str:
    """A key a plugin owns (a lock, a cursor), namespaced by the plugin's name.

    `namespace` is the deployment's queue name (`settings.queue_name`), so deployments
    sharing a Redis neither take each other's locks nor read each other's cursors.
    """
    return f"{PREFIX}plugin:{namespace}:{plugin}:{name}"


def sso_login_state(state_hash: str) -> str:
    """A single sign-on attempt under way (tenant, nonce, PKCE verifier), keyed by the
    SHA-256 of its `state`; written with a short TTL and taken with GETDEL (single use).
    """
    return f"{PREFIX}sso:login:{state_hash}"


def rate_limit(namespace: str, limit: str, client: str, window: int) -> str:
    """A fixed-window request counter of one client on one limit (expires after the window).

    `namespace` is the deployment's queue name, so deployments sharing a Redis count apart.
    """
    return f"{PREFIX}ratelimit:{namespace}:{limit}:{client}:{window}"
