"""Litestar exception handlers that answer every error as a bilingual problem detail.

The language comes from `Accept-Language` (Vietnamese unless English is preferred). Body
validation errors from msgspec are mapped to a stable code and the offending field; anything
unexpected is logged with its traceback and answered as `internal_error` without internals,
except the database being unreachable or restarting: 503 `database_unavailable` with
`Retry-After`.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from ebhxh.db.errors import is_unavailable
from ebhxh.errors.codes import ErrorCode
from ebhxh.errors.messages import negotiate, render
from ebhxh.errors.problem import PROBLEM_MEDIA_TYPE, TYPE_BASE, ProblemDetail, ProblemError
from ebhxh.observability.context import current_request_id

log = structlog.get_logger(__name__)

_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?:\.data)?(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"field `(?P<name>[^`]+)`")


def problem_response(request: Request[Any, Any, Any], error: ProblemError) -> Response[Any]:
    """Render `error` in the request's language."""
    language = negotiate(request.headers.get("accept-language"))
    request_id = current_request_id()
    params = {"field": error.field, "request_id": request_id, **error.params}
    body = ProblemDetail(
        type=TYPE_BASE + error.code.value,
        title=HTTPStatus(error.status).phrase,
        status=error.status,
        code=error.code.value,
        detail=render(error.code, language, params),
        field=error.field,
        request_id=request_id,
    )
    headers = {"Content-Language": language, **error.headers}
    return Response(
        content=msgspec.json.encode(body),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _from_msgspec(message: str, source: str, key: str) -> ProblemError:
    """Map one msgspec validation message to a problem with the field it is about."""
    match = _AT_PATH.match(message)
    text = match.group("message") if match else message
    path = (match.group("path") or "").lstrip(".") if match else ""
    if source != "body":
        return ProblemError(ErrorCode.INVALID_PARAMETER, status=400, field=key)
    named = _NAMED.search(text)
    if text.startswith("Object missing required field"):
        if named and named.group("name") == "data" and not path:
            return ProblemError(ErrorCode.MALFORMED_JSON, status=400)
        field = _join(path, named.group("name") if named else "")
        return ProblemError(ErrorCode.FIELD_REQUIRED, field=field)
    if text.startswith("Object contains unknown field"):
        field = _join(path, named.group("name") if named else "")
        return ProblemError(ErrorCode.UNKNOWN_FIELD, field=field)
    code = ErrorCode.INVALID_TYPE if ", got `" in text else ErrorCode.INVALID_VALUE
    return ProblemError(code, field=path or None, params={"reason": text})


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path and name else path or name


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    cause = exc.__cause__
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    source = str(first.get("source", "body"))
    key = str(first.get("key", ""))
    message = (
        str(cause)
        if isinstance(cause, msgspec.ValidationError)
        else str(first.get("message", exc.detail))
    )
    return problem_response(request, _from_msgspec(message, source, key))


_BY_STATUS = {
    400: ErrorCode.MALFORMED_JSON,
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = _BY_STATUS.get(exc.status_code, ErrorCode.INVALID_VALUE)
    if exc.status_code >= 500:
        code = ErrorCode.INTERNAL_ERROR
    params = {"reason": exc.detail}
    return problem_response(request, ProblemError(code, status=exc.status_code, params=params))


DATABASE_RETRY_AFTER_SECONDS = 5


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable(exc):
        # The database restarting is an outage, not a bug: say when to come back. The
        # pool reconnects by itself, so the app needs no restart.
        log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
        seconds = DATABASE_RETRY_AFTER_SECONDS
        unavailable = ProblemError(
            ErrorCode.DATABASE_UNAVAILABLE,
            status=503,
            params={"retry_after": seconds},
            headers={"Retry-After": str(seconds)},
        )
        return problem_response(request, unavailable)
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    error = ProblemError(ErrorCode.INTERNAL_ERROR, status=HTTP_500_INTERNAL_SERVER_ERROR)
    return problem_response(request, error)


def _problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    return problem_response(request, exc)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemError: _problem,
    ValidationException: _validation,
    NotAuthorizedException: _http,
    PermissionDeniedException: _http,
    NotFoundException: _http,
    MethodNotAllowedException: _http,
    HTTPException: _http,
    Exception: _unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "problem_response"]
