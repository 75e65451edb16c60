"""Errors as RFC 9457 problem details with a stable code, a field and a bilingual message.

Services raise `ProblemError(ErrorCode.X, field=..., params=...)`; the handlers in
`ebhxh.errors.handlers` turn it (and Litestar's own exceptions) into `application/problem+json`
in the language the client asked for.
"""

from ebhxh.errors.codes import ErrorCode
from ebhxh.errors.problem import ProblemDetail, ProblemError

__all__ = ["ErrorCode", "ProblemDetail", "ProblemError"]
