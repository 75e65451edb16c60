"""Outermost ASGI middleware: give each request an id, bind it to the logs, echo it back.

It is raw ASGI (not Litestar's logging middleware) because that one, combined with the
structlog plugin, breaks on `http.response.start` (litestar issue 4283).
"""

from __future__ import annotations

import os
import re

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ebhxh.observability.context import reset_request_id, set_request_id

HEADER = b"x-request-id"
_ACCEPTABLE = re.compile(rb"^[A-Za-z0-9._\-]{1,64}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap `app` so every HTTP request carries an `X-Request-ID` in and out."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER, b"")
        request_id = incoming.decode() if _ACCEPTABLE.match(incoming) else os.urandom(16).hex()
        token = set_request_id(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.clear_contextvars()
            reset_request_id(token)

    return middleware
