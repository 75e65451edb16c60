"""Authentication middleware: `Authorization: Bearer <credential>` (machines, operators)
or the SSO session cookie (browsers) -> `request.user`.

A bearer credential's prefix says what it is: an API token (`ebhxh_`) or a support grant
(`ebhxhsp_`) gives a tenant `Principal`; an operator token (`ebhxhop_`) gives an
`OperatorPrincipal`, which only the operator routes accept. A bearer header wins over the
cookie. Bearer credentials that prove nobody are limited per client
(`ebhxh.auth.failures`). It also binds the tenant, user and operator ids to the log
context, so every log line of the request says whose it was.
"""

from __future__ import annotations

import datetime as dt

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ebhxh.auth.failures import FailedCredentials
from ebhxh.auth.principal import OperatorPrincipal, Principal
from ebhxh.auth.tokens import hash_token, resolve_token
from ebhxh.db.read_cache import ReadCache
from ebhxh.http.rate_limit import client_of, too_many
from ebhxh.operators.credentials import resolve_operator_token, resolve_support_token
from ebhxh.sso.lookup import resolve_session
from ebhxh.sso.sessions import SESSION_COOKIE, idle_limit

PUBLIC_PATHS = {"/health", "/ready", "/docs", "/docs/.*", "/schema", "/schema/.*", "/static/.*"}


async def resolve_bearer(
    credential: str, now: dt.datetime, principals: ReadCache[str, Principal] | None = None
) -> Principal | OperatorPrincipal | None:
    """Whoever a bearer `credential` proves, or None (API tokens through `principals`)."""
    return (
        await resolve_token(credential, now, principals)
        or await resolve_support_token(credential, now)
        or await resolve_operator_token(credential)
    )


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the bearer credential or session cookie of every non-public request."""

    async def authenticate_request(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
    ) -> AuthenticationResult:
        now = connection.app.state.clock.now()
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        principal: Principal | None = None
        if scheme.lower() == "bearer" and credential.strip():
            return await self._bearer(connection, credential.strip(), now)
        if not header and (cookie := connection.cookies.get(SESSION_COOKIE)):
            settings = connection.app.state.settings
            principal = await resolve_session(hash_token(cookie), now, idle_limit(settings))
        if principal is None:
            raise NotAuthorizedException()
        return self._authenticated(principal)

    async def _bearer(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
        credential: str,
        now: dt.datetime,
    ) -> AuthenticationResult:
        principals = connection.app.state.runtime.principals
        failures: FailedCredentials = connection.app.state.failed_credentials
        client = client_of(connection)
        blocked = failures.blocked_for(client)
        if blocked is not None and not _known(credential, principals):
            raise too_many(blocked)
        principal = await resolve_bearer(credential, now, principals)
        if principal is None:
            if (retry_after := await failures.record(connection, client)) is not None:
                raise too_many(retry_after)
            raise NotAuthorizedException()
        return self._authenticated(principal)

    @staticmethod
    def _authenticated(principal: Principal | OperatorPrincipal) -> AuthenticationResult:
        if isinstance(principal, OperatorPrincipal):
            structlog.contextvars.bind_contextvars(operator_id=str(principal.operator_id))
        else:
            structlog.contextvars.bind_contextvars(
                tenant_id=str(principal.tenant_id), user_id=str(principal.user_id)
            )
            if principal.operator_id is not None:
                structlog.contextvars.bind_contextvars(operator_id=str(principal.operator_id))
        return AuthenticationResult(user=principal, auth=principal.credential_id)


def _known(credential: str, principals: ReadCache[str, Principal] | None) -> bool:
    """Whether this process holds `credential` as an API token it resolved already."""
    return principals is not None and principals.get(hash_token(credential)) is not None
