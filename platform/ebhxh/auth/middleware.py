"""Authentication middleware: `Authorization: Bearer <token>` (machines) or the SSO session
cookie (browsers) -> `request.user` (a Principal).

A bearer header wins when both are present. It also binds the tenant and user ids to the
log context, so every log line of the request says whose it was.
"""

from __future__ import annotations

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ebhxh.auth.principal import Principal
from ebhxh.auth.tokens import hash_token, resolve_token
from ebhxh.sso.lookup import resolve_session
from ebhxh.sso.sessions import SESSION_COOKIE, idle_limit

PUBLIC_PATHS = {"/health", "/ready", "/docs", "/docs/.*", "/schema", "/schema/.*", "/static/.*"}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the bearer token or session cookie of every non-public request."""

    async def authenticate_request(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
    ) -> AuthenticationResult:
        now = connection.app.state.clock.now()
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        principal: Principal | None = None
        if scheme.lower() == "bearer" and credential.strip():
            principal = await resolve_token(credential.strip(), now)
        elif not header and (cookie := connection.cookies.get(SESSION_COOKIE)):
            settings = connection.app.state.settings
            principal = await resolve_session(hash_token(cookie), now, idle_limit(settings))
        if principal is None:
            raise NotAuthorizedException()
        structlog.contextvars.bind_contextvars(
            tenant_id=str(principal.tenant_id), user_id=str(principal.user_id)
        )
        return AuthenticationResult(user=principal, auth=principal.credential_id)
