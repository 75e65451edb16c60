"""Small HTML pages for the browser side of sign-in: an error page (Vietnamese first,
English when the browser prefers it) carrying the stable error code, and the signed-out page.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import Any

import structlog
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.types import ExceptionHandlersMap

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import Language, negotiate, render
from ebhxh.observability.context import current_request_id

log = structlog.get_logger(__name__)

_TITLES: dict[Language, str] = {"vi": "Không đăng nhập được", "en": "Sign-in failed"}
_CODE_LABEL: dict[Language, str] = {"vi": "Mã lỗi", "en": "Error code"}
_REQUEST_LABEL: dict[Language, str] = {"vi": "Mã yêu cầu", "en": "Request id"}
_AGAIN: dict[Language, str] = {"vi": "Thử đăng nhập lại", "en": "Try signing in again"}
_SIGNED_OUT: dict[Language, str] = {"vi": "Bạn đã đăng xuất.", "en": "You have signed out."}


def _page(language: Language, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main>{body}</main></body></html>"
    )


def error_page(request: Request[Any, Any, Any], error: ProblemError) -> Response[str]:
    """`error` as an HTML page with its status, code and request id."""
    language = negotiate(request.headers.get("accept-language"))
    request_id = current_request_id()
    detail = render(
        error.code, language, {"field": error.field, "request_id": request_id, **error.params}
    )
    body = (
        f"<h1>{escape(_TITLES[language])}</h1>"
        f'<p id="detail">{escape(detail)}</p>'
        f'<p>{_CODE_LABEL[language]}: <code id="code">{escape(error.code.value)}</code></p>'
        f"<p>{_REQUEST_LABEL[language]}: <code>{escape(request_id or '-')}</code></p>"
        f'<p><a href="/auth/login">{_AGAIN[language]}</a></p>'
    )
    return Response(
        content=_page(language, _TITLES[language], body),
        status_code=error.status,
        media_type=MediaType.HTML,
        headers={"Content-Language": language, "Cache-Control": "no-store", **error.headers},
    )


HTML_PAGE = ResponseSpec(
    data_container=str,
    generate_examples=False,
    description="A page for the person in the browser (Vietnamese; English on request), "
    "with the stable error `code` of what went wrong.",
    media_type=MediaType.HTML,
)
HTML_PAGES: dict[int | str, ResponseSpec] = {400: HTML_PAGE, "default": HTML_PAGE}
"""How the browser routes document their errors: as pages, not problem details."""


def signed_out_page(request: Request[Any, Any, Any]) -> str:
    language = negotiate(request.headers.get("accept-language"))
    return _page(language, _SIGNED_OUT[language], f"<h1>{_SIGNED_OUT[language]}</h1>")


def _problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[str]:
    return error_page(request, exc)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[str]:
    return error_page(request, ProblemError(ErrorCode.SSO_LOGIN_INPUT, status=400))


_BY_STATUS = {
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    # A browser route never answers 500: what is not a client error is "try again later".
    status = exc.status_code if 400 <= exc.status_code < 500 else 503
    code = _BY_STATUS.get(status, ErrorCode.INVALID_PARAMETER)
    phrase = HTTPStatus(status).phrase
    return error_page(request, ProblemError(code, status=status, params={"reason": phrase}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    # Logged with its traceback like any unexpected error; the person gets a page saying to
    # try again (the database or another part being down is the usual cause), not a 500.
    log.exception("sso_unexpected_error", path=request.url.path, error_type=type(exc).__name__)
    return error_page(request, ProblemError(ErrorCode.SERVICE_UNAVAILABLE, status=503))


HTML_ERRORS: ExceptionHandlersMap = {
    ProblemError: _problem,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
"""Exception handlers of the browser routes: errors as pages, not problem documents."""
