"""Small HTML pages for the browser side of sign-in: an error page (Vietnamese first,
English when the browser prefers it) carrying the stable error code, and the signed-out page.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import Language, negotiate, render
from ebhxh.observability.context import current_request_id

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
        media_type="text/html; charset=utf-8",
        headers={"Content-Language": language, "Cache-Control": "no-store", **error.headers},
    )


def signed_out_page(request: Request[Any, Any, Any]) -> str:
    language = negotiate(request.headers.get("accept-language"))
    return _page(language, _SIGNED_OUT[language], f"<h1>{_SIGNED_OUT[language]}</h1>")


def _problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[str]:
    return error_page(request, exc)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[str]:
    return error_page(request, ProblemError(ErrorCode.SSO_LOGIN_INPUT, status=400))


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    status = exc.status_code if 400 <= exc.status_code < 500 else 503
    code = ErrorCode.NOT_FOUND if status == 404 else ErrorCode.SERVICE_UNAVAILABLE
    if status not in (404, 503):
        code = ErrorCode.INVALID_PARAMETER
    phrase = HTTPStatus(status).phrase
    return error_page(request, ProblemError(code, status=status, params={"reason": phrase}))


HTML_ERRORS = {ProblemError: _problem, ValidationException: _validation, HTTPException: _http}
"""Exception handlers of the browser routes: errors as pages, not problem documents."""
