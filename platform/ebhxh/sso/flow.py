"""The two halves of a browser sign-in. `start` picks the tenant (by slug or by the email's
domain), builds the provider's authorization URL and keeps the attempt's secrets in Redis
for ten minutes; `finish` takes them back exactly once, checks the browser is the one that
started, exchanges the code, validates the ID token and signs the person in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from typing import Any

import msgspec
import structlog
from redis.exceptions import RedisError

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.sso import lookup
from ebhxh.sso.oidc import OidcClient
from ebhxh.sso.schemas import IdentityProviderConfig
from ebhxh.sso.service import SignedIn, read_identity_provider, sign_in
from ebhxh.sso.sessions import STATE_TTL_SECONDS
from ebhxh.worker.keys import sso_login_state

log = structlog.get_logger(__name__)

DEFAULT_NEXT = "/auth/me"
_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s\\]*$")
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


class LoginAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """What is kept server-side between the redirect to the provider and the callback."""

    tenant_id: uuid.UUID
    nonce: str
    code_verifier: str
    redirect_uri: str
    next: str


class Started(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    state: str


class Finished(msgspec.Struct, frozen=True, kw_only=True):
    signed_in: SignedIn
    tenant_id: uuid.UUID
    next: str


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else the default (no open redirects)."""
    return value if value and _SAFE_NEXT.match(value) and len(value) <= 500 else DEFAULT_NEXT


def _state_key(state: str) -> str:
    return sso_login_state(hashlib.sha256(state.encode()).hexdigest())


def _store_down(exc: Exception) -> ProblemError:
    log.warning("sso_state_store_unavailable", error_type=type(exc).__name__)
    return ProblemError(ErrorCode.SSO_SESSION_STORE_UNAVAILABLE, status=503)


async def _provider_of(tenant_id: uuid.UUID, box: SecretBox) -> IdentityProviderConfig:
    config = await read_identity_provider(TenantScope(tenant_id), box)
    if config is None:
        raise ProblemError(ErrorCode.SSO_NOT_CONFIGURED, status=404)
    return config


async def _tenant(slug: str | None, email: str | None) -> uuid.UUID:
    if slug:
        tenant_id = await lookup.tenant_by_slug(slug.strip().lower())
        unknown = slug
    elif email and "@" in email:
        tenant_id = await lookup.tenant_by_email_domain(email.rpartition("@")[2].strip())
        unknown = email.rpartition("@")[2]
    else:
        raise ProblemError(ErrorCode.SSO_LOGIN_INPUT, status=400)
    if tenant_id is None:
        raise ProblemError(
            ErrorCode.SSO_TENANT_UNKNOWN, status=404, params={"value": unknown[:100]}
        )
    return tenant_id


async def start(
    *,
    slug: str | None,
    email: str | None,
    next_path: str | None,
    redirect_uri: str,
    oidc: OidcClient,
    box: SecretBox,
    redis: Any,
) -> Started:
    tenant_id = await _tenant(slug, email)
    config = await _provider_of(tenant_id, box)
    request = await oidc.authorization_request(
        config, redirect_uri, login_hint=email.strip() if email else None
    )
    attempt = LoginAttempt(
        tenant_id=tenant_id,
        nonce=request.nonce,
        code_verifier=request.code_verifier,
        redirect_uri=redirect_uri,
        next=safe_next(next_path),
    )
    try:
        await redis.set(
            _state_key(request.state), msgspec.json.encode(attempt), ex=STATE_TTL_SECONDS
        )
    except (RedisError, OSError) as exc:
        raise _store_down(exc) from exc
    return Started(url=request.url, state=request.state)


async def finish(
    *,
    state: str | None,
    browser_state: str | None,
    code: str | None,
    error: str | None,
    oidc: OidcClient,
    box: SecretBox,
    redis: Any,
    settings: Settings,
    now: dt.datetime,
) -> Finished:
    # The state must come back to the browser that started (its cookie), and only once.
    if not state or not browser_state or not hmac.compare_digest(state, browser_state):
        raise ProblemError(ErrorCode.SSO_STATE_INVALID, status=400)
    try:
        stored = await redis.getdel(_state_key(state))
    except (RedisError, OSError) as exc:
        raise _store_down(exc) from exc
    if stored is None:
        raise ProblemError(ErrorCode.SSO_STATE_INVALID, status=400)
    attempt = msgspec.json.decode(stored, type=LoginAttempt)
    if error is not None:
        reason = error if _ERROR_CODE.match(error) else "error"
        raise ProblemError(ErrorCode.SSO_IDP_ERROR, status=403, params={"reason": reason})
    if not code:
        raise ProblemError(ErrorCode.SSO_IDP_ERROR, status=502, params={"reason": "no code"})
    config = await _provider_of(attempt.tenant_id, box)
    claims = await oidc.exchange(
        config,
        attempt.redirect_uri,
        code=code,
        code_verifier=attempt.code_verifier,
        nonce=attempt.nonce,
    )
    signed_in = await sign_in(
        TenantScope(attempt.tenant_id),
        config,
        claims,
        issuer=str(claims["iss"]),
        now=now,
        settings=settings,
    )
    log.info("sso_signed_in", tenant_id=str(attempt.tenant_id), user_id=str(signed_in.user_id))
    return Finished(signed_in=signed_in, tenant_id=attempt.tenant_id, next=attempt.next)
