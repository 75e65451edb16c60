"""`VssGateway` over HTTP: timeouts, retries with backoff, the idempotency key on submits.

Retries (tenacity) cover what may succeed on a second try: transport errors, timeouts,
5xx and 429. A 4xx answer is VSS saying no, raised at once as `GatewayRefused`. Submits
carry an `Idempotency-Key`, so a retry after a lost response never makes a second dossier.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, TypeVar

import httpx
import msgspec
import structlog
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ebhxh.gateway.contract import (
    EmployeePage,
    GatewayRefused,
    GatewayUnavailable,
    Receipt,
    Submission,
    UnitRecord,
)
from ebhxh.metrics.observe import outcome_of
from ebhxh.metrics.series import VSS_CALLS, VSS_SECONDS

log = structlog.get_logger(__name__)
T = TypeVar("T")


class _Retryable(Exception):
    """A response worth another try (5xx, 429)."""


class HttpVssGateway:
    """Talks to a VSS gateway (or the sandbox) at `base_url`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 5,
        max_backoff: float = 4.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self._attempts = attempts
        self._max_backoff = max_backoff

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        retry: bool = True,
        raw: bool = False,
        **kwargs: Any,
    ) -> Any:
        """One call, counted and timed under `operation` (a name, never the path: paths
        carry ids); the answer's JSON, or its bytes with `raw` (for the caller to decode).
        """
        with outcome_of(
            VSS_CALLS,
            VSS_SECONDS,
            operation,
            success="ok",
            failure="unavailable",
            # A call cut short by its caller (a shutdown) is not VSS failing.
            known=((GatewayRefused, "refused"), (asyncio.CancelledError, "cancelled")),
        ):
            return await self._attempt(method, path, retry=retry, raw=raw, **kwargs)

    async def _attempt(
        self, method: str, path: str, *, retry: bool, raw: bool, **kwargs: Any
    ) -> Any:
        """One call, retried unless `retry` is False (for calls that must not repeat)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts if retry else 1),
            wait=wait_exponential_jitter(multiplier=0.1, max=self._max_backoff),
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._client.request(method, path, **kwargs)
                    if response.status_code >= 500 or response.status_code == 429:
                        log.info("vss_retry", path=path, status=response.status_code)
                        raise _Retryable(str(response.status_code))
                    if response.status_code >= 400:
                        body = _json(response)
                        raise GatewayRefused(
                            str(body.get("code", response.status_code)),
                            str(body.get("reason", response.text[:200])),
                        )
                    if raw:
                        return response.content
                    try:
                        return response.json()
                    except ValueError as exc:  # a 2xx that is not JSON: treat as no answer
                        raise GatewayUnavailable(f"{method} {path}: unreadable answer") from exc
        except RetryError as exc:
            raise GatewayUnavailable(f"{method} {path}: VSS did not answer") from exc
        raise GatewayUnavailable(f"{method} {path}: no attempt made")  # pragma: no cover

    async def submit(self, submission: Submission, idempotency_key: str) -> Receipt:
        body = msgspec.to_builtins(submission)
        body["document"] = base64.b64encode(submission.document).decode()
        data = await self._call(
            "submit",
            "POST",
            "/dossiers",
            # Encoded by msgspec: the standard library's encoder scans the document's tens
            # of kilobytes of base64 for characters to escape, at every submission.
            content=msgspec.json.encode(body),
            headers={"Idempotency-Key": idempotency_key, "Content-Type": "application/json"},
        )
        return _convert(data, Receipt)

    async def status(self, receipt_id: str) -> Receipt:
        return _convert(await self._call("status", "GET", f"/dossiers/{receipt_id}"), Receipt)

    async def activate(self, receipt_id: str, code: str) -> Receipt:
        data = await self._call(
            "activate", "POST", f"/dossiers/{receipt_id}/activation", json={"code": code}
        )
        return _convert(data, Receipt)

    async def request_new_code(self, receipt_id: str, email: str | None) -> Receipt:
        # Not retried: each call mails a new code and voids the last, so a blind retry would
        # leave the user holding a dead code. A failure is reported; the user asks again.
        data = await self._call(
            "request_new_code",
            "POST",
            f"/dossiers/{receipt_id}/activation-code",
            json={"email": email},
            retry=False,
        )
        return _convert(data, Receipt)

    async def lookup_unit(self, tax_code: str) -> UnitRecord:
        data = await self._call("lookup_unit", "GET", "/units", params={"tax_code": tax_code})
        return _convert(data, UnitRecord)

    async def employees_page(self, unit_code: str, cursor: str | None, limit: int) -> EmployeePage:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        content = await self._call(
            "employees_page", "GET", f"/units/{unit_code}/employees", raw=True, params=params
        )
        try:  # straight from bytes: a page is thousands of rows, decoded once into its shape
            return msgspec.json.decode(content, type=EmployeePage)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise GatewayUnavailable(f"VSS answered in an unexpected shape: {exc}") from exc


def _convert(data: Any, shape: type[T]) -> T:
    """VSS's answer in our shape; an answer of another shape counts as no answer."""
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        raise GatewayUnavailable(f"VSS answered in an unexpected shape: {exc}") from exc


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
