"""The audit trail of operators: every request an operator makes, with or without a support
grant, is recorded before it runs and completed with its status after.

Recording first means an action the trail cannot hold is not performed at all (the request
fails with the database's 503), and an action that dies half-way still shows up, with no
status. This middleware sits inside the authentication middleware, which put the caller in
`scope["user"]`.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ebhxh.auth.principal import OperatorPrincipal, Principal
from ebhxh.db.errors import is_unavailable
from ebhxh.observability.context import current_request_id
from ebhxh.operators.tables import OperatorAction

log = structlog.get_logger(__name__)


def _operator_of(user: object) -> tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None] | None:
    """(operator, tenant, grant) for an operator's request, None for anyone else's."""
    if isinstance(user, OperatorPrincipal):
        return user.operator_id, None, None
    if isinstance(user, Principal) and user.operator_id is not None:
        return user.operator_id, user.tenant_id, user.credential_id
    return None


def operator_audit_middleware(app: ASGIApp) -> ASGIApp:
    """Record every operator request in `operator_action`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        who = _operator_of(scope.get("user")) if scope["type"] == ScopeType.HTTP else None
        if who is None:
            await app(scope, receive, send)
            return
        operator_id, tenant_id, grant_id = who
        handler: Any = scope.get("route_handler")
        action = OperatorAction(
            operator=operator_id,
            tenant=tenant_id,
            grant=grant_id,
            method=scope.get("method", ""),
            path=scope.get("path", "")[:2048],
            operation_id=operation
            if isinstance(operation := getattr(handler, "operation_id", None), str)
            else None,
            request_id=current_request_id(),
        )
        await action.save()
        status: int | None = None

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            try:
                await OperatorAction.update({OperatorAction.status: status}).where(
                    OperatorAction.id == action.id
                )
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                # The database went away mid-request: the action's own outcome stands
                # (its 503), and its row keeps no status.
                log.warning("operator_action_status_not_recorded", action_id=str(action.id))

    return middleware
