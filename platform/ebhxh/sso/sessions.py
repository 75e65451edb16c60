"""Browser sessions: a random cookie value, stored as its SHA-256, tied to one user in one
tenant, ending after an idle period, at an absolute time, or at logout.

The cookie is `HttpOnly`, `SameSite=Lax` and `Secure` (unless the settings turn it off for
local http). Resolving a cookie to a principal is in `ebhxh.sso.lookup`, the one module that
reads sessions across tenants.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from litestar.datastructures import Cookie

from ebhxh.auth.tokens import hash_token
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.settings import Settings
from ebhxh.sso.tables import SsoSession

SESSION_COOKIE = "ebhxh_session"
STATE_COOKIE = "ebhxh_sso_state"
"""Binds a sign-in attempt to the browser that started it (no login CSRF)."""
STATE_TTL_SECONDS = 600
CALLBACK_PATH = "/auth/callback"


def idle_limit(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.session_idle_minutes)


async def open_session(
    scope: TenantScope, user_id: uuid.UUID, now: dt.datetime, settings: Settings
) -> tuple[uuid.UUID, str]:
    """A new session of `user_id`; returns its id and the cookie value (never stored)."""
    value = secrets.token_urlsafe(32)
    row = scope.new(
        SsoSession,
        user=user_id,
        token_hash=hash_token(value),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_absolute_hours),
    )
    await scope.insert(SsoSession, row)
    return row.id, value


async def end_session(scope: TenantScope, session_id: uuid.UUID, now: dt.datetime) -> bool:
    ended = (
        await scope.update(SsoSession, {SsoSession.ended_at: now})
        .where(SsoSession.id == session_id, SsoSession.ended_at.is_null())
        .returning(SsoSession.id)
    )
    return bool(ended)


async def end_sessions_of(scope: TenantScope, user_id: uuid.UUID, now: dt.datetime) -> None:
    """End every live session of `user_id` in the tenant (their roles were taken away)."""
    await scope.update(SsoSession, {SsoSession.ended_at: now}).where(
        SsoSession.user == user_id, SsoSession.ended_at.is_null()
    )


def session_cookie(value: str, settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


def state_cookie(state: str, settings: Settings) -> Cookie:
    return Cookie(
        key=STATE_COOKIE,
        value=state,
        path=CALLBACK_PATH,
        max_age=STATE_TTL_SECONDS,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


def cleared(key: str, path: str, settings: Settings) -> Cookie:
    """A cookie that tells the browser to forget `key`."""
    return Cookie(
        key=key,
        value="",
        path=path,
        max_age=0,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
