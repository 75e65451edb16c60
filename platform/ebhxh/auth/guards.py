"""Route guards by role: `guards=[requires(Role.HR)]` (admins pass every role check)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from ebhxh.auth.principal import OperatorPrincipal, Principal
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.tenancy.tables import Role


def requires(*roles: Role) -> Guard:
    """A guard that lets through principals holding any of `roles` (or admin)."""
    wanted = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or not principal.has_any(wanted):
            raise ProblemError(ErrorCode.FORBIDDEN, status=403)

    return guard


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The request's principal (the auth middleware guarantees there is one)."""
    principal = connection.user
    if not isinstance(principal, Principal):
        raise ProblemError(ErrorCode.NOT_AUTHENTICATED, status=401)
    return principal


def requires_operator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard for the operator routes: only an operator token passes."""
    if not isinstance(connection.user, OperatorPrincipal):
        raise ProblemError(ErrorCode.FORBIDDEN, status=403)


def current_operator(connection: ASGIConnection[Any, Any, Any, Any]) -> OperatorPrincipal:
    """The request's operator (after `requires_operator`)."""
    operator = connection.user
    if not isinstance(operator, OperatorPrincipal):
        raise ProblemError(ErrorCode.FORBIDDEN, status=403)
    return operator


def not_through_support(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A guard for routes that mint lasting credentials or decide who may sign in (pairing
    codes, the identity provider): a support grant expires, what it could make would not,
    so operators acting through one are refused.
    """
    principal = connection.user
    if isinstance(principal, Principal) and principal.operator_id is not None:
        raise ProblemError(ErrorCode.SUPPORT_GRANT_NO_CREDENTIALS, status=403)
