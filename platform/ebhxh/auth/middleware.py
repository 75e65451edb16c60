"""Authentication middleware: `Authorization: Bearer <credential>` -> `request.user`.

The credential's prefix says what it is: an API token (`ebhxh_`) or a support grant
(`ebhxhsp_`) gives a tenant `Principal`; an operator token (`ebhxhop_`) gives an
`OperatorPrincipal`, which only the operator routes accept. It also binds the tenant, user
and operator ids to the log context, so every log line of the request says whose it was.
"""

from __future__ import annotations

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ebhxh.auth.principal import OperatorPrincipal, Principal
from ebhxh.auth.tokens import resolve_token
from ebhxh.operators.credentials import resolve_operator_token, resolve_support_token

PUBLIC_PATHS = {"/health", "/ready", "/docs", "/docs/.*", "/schema", "/schema/.*", "/static/.*"}


async def resolve_bearer(
    credential: str,
    connection: ASGIConnection,  # type: ignore[type-arg]
) -> Principal | OperatorPrincipal | None:
    """Whoever `credential` proves, or None."""
    now = connection.app.state.clock.now()
    return (
        await resolve_token(credential, now)
        or await resolve_support_token(credential, now)
        or await resolve_operator_token(credential)
    )


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the bearer credential of every non-public request to a principal."""

    async def authenticate_request(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthorizedException()
        principal = await resolve_bearer(credential.strip(), connection)
        if principal is None:
            raise NotAuthorizedException()
        if isinstance(principal, OperatorPrincipal):
            structlog.contextvars.bind_contextvars(operator_id=str(principal.operator_id))
        else:
            structlog.contextvars.bind_contextvars(
                tenant_id=str(principal.tenant_id), user_id=str(principal.user_id)
            )
            if principal.operator_id is not None:
                structlog.contextvars.bind_contextvars(operator_id=str(principal.operator_id))
        return AuthenticationResult(user=principal, auth=principal.credential_id)
