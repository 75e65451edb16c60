"""Authentication middleware: `Authorization: Bearer <token>` -> `request.user` (a Principal).

It also binds the tenant and user ids to the log context, so every log line of the request
says whose it was.
"""

from __future__ import annotations

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ebhxh.auth.tokens import resolve_token

PUBLIC_PATHS = {"/health", "/ready", "/docs", "/docs/.*", "/schema", "/schema/.*", "/static/.*"}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the bearer token of every non-public request to a principal."""

    async def authenticate_request(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthorizedException()
        principal = await resolve_token(credential.strip(), connection.app.state.clock.now())
        if principal is None:
            raise NotAuthorizedException()
        structlog.contextvars.bind_contextvars(
            tenant_id=str(principal.tenant_id), user_id=str(principal.user_id)
        )
        return AuthenticationResult(user=principal, auth=principal.credential_id)
