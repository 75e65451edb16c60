"""The request id of the work in progress, readable from anywhere (logs, problem details)."""

from __future__ import annotations

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("ebhxh_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request (or job) being handled, if any."""
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Set the current request id; returns a token for `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]
