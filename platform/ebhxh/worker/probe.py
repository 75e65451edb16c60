"""The worker pod's probe (`python -m ebhxh.worker.probe`): is its heartbeat fresh.

Kubernetes runs it every few seconds in every worker pod, so it imports only the settings,
redis-py and the heartbeat's key (about 0.4 s of CPU, against 3 s for the whole CLI), and
asks Redis one question. `ebhxh worker probe` is the same check for people.
"""

from __future__ import annotations

import socket
import sys

import redis

from ebhxh.settings import Settings
from ebhxh.worker.keys import worker_heartbeat

TIMEOUT_SECONDS = 5.0


def heartbeat_is_fresh(client: redis.Redis, worker_id: str | None) -> bool:
    """The key of `worker_id` exists; without an id, any worker on this host has one (the
    id is host name and process id, and the probe runs in another process).
    """
    if worker_id:
        return bool(client.exists(worker_heartbeat(worker_id)))
    on_this_host = worker_heartbeat(f"{socket.gethostname()}-*")
    return any(True for _ in client.scan_iter(match=on_this_host, count=100))


def check(client: redis.Redis, worker_id: str | None) -> str | None:
    """None when the heartbeat is fresh, else why not."""
    try:
        if heartbeat_is_fresh(client, worker_id):
            return None
    except redis.RedisError as exc:
        return f"cannot read the heartbeat: {type(exc).__name__}"
    finally:
        client.close()
    return f"no fresh heartbeat for {worker_id or 'any worker on this host'}"


def main() -> int:
    """0 when the heartbeat is fresh, 1 (with the reason on stderr) otherwise."""
    settings = Settings.from_env()
    if not settings.redis_url:
        print("EBHXH_REDIS_URL is not set: use `ebhxh worker probe`", file=sys.stderr)
        return 1
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    problem = check(client, settings.worker_id)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
