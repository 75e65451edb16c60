"""Carry pending CSC requests on from the worker: poll the approval with backoff, then sign.

A cron (`csc_poll`, every 2 seconds) takes each pending "remote_csc" request whose next
poll is due and asks `credentials/authorizeCheck`: still pending -> poll again later (1 s,
2 s, 4 s, ... at most 15 s apart); refused or expired -> the request fails with that
reason; approved -> the SAD (kept, encrypted, in the request's signer state) is used for
`signatures/signHash` while it is valid, and the value settles the request (the platform
finishes and validates it). A service that keeps failing is retried with backoff and, after
`MAX_ERRORS` polls in a row, the request fails with `csc_service_unavailable`. The
platform's own expiry (15 minutes) ends whatever is still pending.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
from typing import Any

import structlog
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from ebhxh.errors import ErrorCode
from ebhxh.signing.contract import PendingSignature, SignerFailure
from ebhxh.worker.keys import plugin_key
from ebhxh_signer_remote_csc.client import CscRefused, CscUnavailable
from ebhxh_signer_remote_csc.signer import NAME, WAITING, client_for, refusal_code

log = structlog.get_logger(__name__)

MAX_ERRORS = 4
MAX_POLL_INTERVAL = 15
LOCK_SECONDS = 120
"""How long the lock lasts from its last renewal (before each request is polled): a
worker killed mid-poll frees it after this."""
SAD_MARGIN = dt.timedelta(seconds=2)
"""Do not start a signHash with a SAD this close to its expiry."""


def retrying(at: str) -> str:
    """What the dossier says while the service is being retried."""
    when = dt.datetime.fromisoformat(at)
    return (
        f"dịch vụ ký số từ xa không phản hồi; thử lại lúc {when:%H:%M:%S} UTC / "
        "the remote signing service does not answer; retrying"
    )


def _later(now: dt.datetime, attempts: int, cap: int) -> str:
    return (now + dt.timedelta(seconds=min(cap, 2 ** max(0, attempts - 1)))).isoformat()


async def csc_poll(ctx: dict[str, Any]) -> int:
    """Poll every due pending request of the "remote_csc" signer type; how many settled.

    One poll at a time across workers (a Redis lock): two polls of one request would both
    spend its SAD, and the loser's "numSignatures exceeded" could fail a signed request.
    """
    key = plugin_key(ctx["runtime"].settings.queue_name, NAME, "poll")
    # redis-py's lock is held by a token: only its holder renews or releases it.
    lock = ctx["redis"].lock(key, timeout=LOCK_SECONDS, blocking=False)
    if not await lock.acquire():
        return 0
    try:
        return await _poll_all(ctx, lock)
    finally:
        with contextlib.suppress(LockError):
            await lock.release()


async def _poll_all(ctx: dict[str, Any], lock: Lock) -> int:
    runtime = ctx["runtime"]
    settled = 0
    for pending in await runtime.signatures.pending(NAME):
        # Renewed before each request (one poll_one takes at most two HTTP timeouts, far
        # under LOCK_SECONDS), so a long round never outlives the lock; if the lock was
        # lost anyway, another worker may be polling: stop rather than poll alongside it.
        try:
            await lock.reacquire()
        except LockError:
            log.warning("csc_poll_lock_lost")
            break
        outcome = await poll_one(pending, ctx["clock"].now())
        if isinstance(outcome, dict):
            await runtime.signatures.save_state(pending.tenant_id, pending.request_id, outcome)
            if outcome.get("errors"):
                await runtime.signatures.tell(
                    pending.tenant_id, pending.request_id, retrying(outcome["next_poll_at"])
                )
            elif pending.state.get("errors"):  # the service is back
                await runtime.signatures.tell(pending.tenant_id, pending.request_id, WAITING)
            continue
        if outcome is None:
            continue
        await runtime.signatures.settle(
            pending.tenant_id,
            pending.request_id,
            enqueue=ctx["enqueue"],
            **({"value": outcome} if isinstance(outcome, bytes) else {"failure": outcome}),
        )
        settled += 1
    return settled


async def poll_one(
    pending: PendingSignature, now: dt.datetime
) -> bytes | ErrorCode | dict[str, Any] | None:
    """The signature value, a failure, a new signer state to keep, or None (not due)."""
    state = dict(pending.state)
    if state.get("next_poll_at") and now < dt.datetime.fromisoformat(state["next_poll_at"]):
        return None
    digest = base64.b64decode(state["hash"])
    if digest != hashlib.sha256(pending.to_be_signed).digest():  # never sign something else
        return ErrorCode.CSC_HASH_MISMATCH
    try:
        async with client_for(pending.settings, pending.secrets) as csc:
            if not state.get("sad"):
                approval = await csc.authorize_check(state["response_id"])
                if approval.pending:
                    state["polls"] = state.get("polls", 0) + 1
                    state["errors"] = 0
                    state["next_poll_at"] = _later(now, state["polls"], MAX_POLL_INTERVAL)
                    return state
                state["sad"] = approval.sad
                state["sad_expires_at"] = (
                    now + dt.timedelta(seconds=approval.expires_in or 0)
                ).isoformat()
            if now + SAD_MARGIN >= dt.datetime.fromisoformat(state["sad_expires_at"]):
                return ErrorCode.CSC_SAD_EXPIRED
            [value] = await csc.sign_hash(state["credential_id"], state["sad"], [digest])
            return value
    except CscUnavailable as exc:
        state["errors"] = state.get("errors", 0) + 1
        log.warning("csc_unavailable", signing_request_id=str(pending.request_id), error=str(exc))
        if state["errors"] >= MAX_ERRORS:
            return ErrorCode.CSC_SERVICE_UNAVAILABLE
        state["next_poll_at"] = _later(now, state["errors"] + 1, 30)
        return state
    except CscRefused as refused:
        log.info(
            "csc_refused",
            signing_request_id=str(pending.request_id),
            error=refused.error,
            description=refused.description,
        )
        return refusal_code(refused)
    except SignerFailure as failure:  # the unit's settings lost something since setup
        return failure.code
