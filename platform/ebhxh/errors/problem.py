"""The problem-detail body (RFC 9457) and the exception services raise to produce one."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from ebhxh.errors.codes import ErrorCode

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://ebhxh.vn/problems/"


class ProblemDetail(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An error response: RFC 9457 members plus the stable `code` and the offending `field`."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None = None
    request_id: str | None = None


class ProblemError(Exception):
    """Raise from any layer to answer with a problem detail.

    `field` is a JSON path-like name of the input at fault (`tax_code`, `nodes[2].parent`);
    `params` fill the message templates and are never echoed beyond them.
    """

    def __init__(
        self,
        code: ErrorCode,
        *,
        status: int = 422,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.status = status
        self.field = field
        self.params = dict(params or {})
        self.headers = dict(headers or {})
