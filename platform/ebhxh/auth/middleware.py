"""Authentication middleware: `Authorization: Bearer <credential>` (machines, operators)
or the SSO session cookie (browsers) -> `request.user`.

A bearer credential's prefix says what it is: an API token (`ebhxh_`) or a support grant
(`ebhxhsp_`) gives a tenant `Principal`; an operator token (`ebhxhop_`) gives an
`OperatorPrincipal`, which only the operator routes accept. A bearer header wins over the
cookie. Credentials that prove nobody are limited per client (`ebhxh.auth.failures`).
It also binds the tenant, user and operator ids to the log context, so every log line of
the request says whose it was.
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
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return await self._checked(connection, credential.strip(), bearer=True)
        if not header and (cookie := connection.cookies.get(SESSION_COOKIE)):
            return await self._checked(connection, cookie, bearer=False)
        raise NotAuthorizedException()

    async def _checked(
        self,
        connection: ASGIConnection,  # type: ignore[type-arg]
        credential: str,
        *,
        bearer: bool,
    ) -> AuthenticationResult:
        """Resolve a bearer credential or a session cookie, within the failure limits."""
        state = connection.app.state
        failures: FailedCredentials = state.failed_credentials
        principals = state.runtime.principals
        credential_hash = hash_token(credential)
        if failures.refused_before(credential_hash):
            raise NotAuthorizedException()
        client = client_of(connection)
        if (blocked := failures.blocked_for(client)) is not None and not (
            bearer and principals is not None and principals.get(credential_hash) is not None
        ):
            raise too_many(blocked)
        now = state.clock.now()
        principal: Principal | OperatorPrincipal | None
        if bearer:
            principal = await resolve_bearer(credential, now, principals)
        else:
            principal = await resolve_session(credential_hash, now, idle_limit(state.settings))
        if principal is None:
            if retry_after := await failures.record(connection, client, credential_hash):
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
