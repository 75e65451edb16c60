"""A small asynchronous client of a CSC API v2 service.

`info` says how to authenticate; the client prefers OAuth2 client credentials
(`/oauth2/token`) and falls back to `auth/login` with HTTP Basic. Transport errors and 5xx
answers are retried a few times with backoff (tenacity); what remains is `CscUnavailable`.
A 4xx answer is `CscRefused` with the service's `error` and `error_description`.
Secrets (the client secret, the SAD) are never logged.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import msgspec
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

SHA256_OID = "2.16.840.1.101.3.4.2.1"
SHA256_WITH_RSA_OID = "1.2.840.113549.1.1.11"
PENDING = "pending"


class CscUnavailable(Exception):
    """The service did not answer, or answered 5xx, after the retries."""


class CscRefused(Exception):
    """The service answered 4xx: `error` and `description` as it said them."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class CredentialInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What credentials/info tells about one credential."""

    credential_id: str
    certificates: tuple[bytes, ...]
    """The chain, signer certificate first (DER)."""
    multisign: int
    scal: str
    key_algorithms: tuple[str, ...]


class Approval(msgspec.Struct, frozen=True, kw_only=True):
    """The state of an asynchronous credential authorization."""

    pending: bool
    sad: str | None = None
    expires_in: int | None = None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CscClient:
    """One service, one client identity; `async with` closes the connections."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        attempts: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.attempts = attempts
        self._http = httpx.AsyncClient(timeout=10, transport=transport)
        self._token: str | None = None

    async def __aenter__(self) -> CscClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def _send(self, path: str, **kwargs: Any) -> httpx.Response:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception_type(CscUnavailable),
            reraise=True,
        ):
            with attempt:
                try:
                    response = await self._http.post(f"{self.base_url}{path}", **kwargs)
                except httpx.HTTPError as exc:
                    raise CscUnavailable(f"{type(exc).__name__} at {path}") from exc
                if response.status_code >= 500:
                    raise CscUnavailable(f"HTTP {response.status_code} at {path}")
        if response.status_code >= 400:
            body = _json(response)
            raise CscRefused(
                response.status_code,
                str(body.get("error", "error")),
                str(body.get("error_description", "")),
            )
        return response

    async def _call(self, method: str, body: Mapping[str, Any]) -> httpx.Response:
        """A CSC method under /csc/v2 with the access token (logging in first)."""
        if self._token is None:
            await self.authenticate()
        return await self._send(
            f"/csc/v2/{method}", json=dict(body), headers={"Authorization": f"Bearer {self._token}"}
        )

    async def info(self) -> dict[str, Any]:
        return _json(await self._send("/csc/v2/info", json={"lang": "vi-VN"}))

    async def authenticate(self) -> None:
        """Get an access token the way the service offers (client credentials first)."""
        auth_types = (await self.info()).get("authType", [])
        if "oauth2client" in auth_types:
            response = await self._send(
                "/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
        else:
            basic = b64(f"{self.client_id}:{self.client_secret}".encode())
            response = await self._send(
                "/csc/v2/auth/login",
                json={"rememberMe": False},
                headers={"Authorization": f"Basic {basic}"},
            )
        self._token = str(_json(response)["access_token"])

    async def credentials(self, user_id: str) -> list[str]:
        body = _json(await self._call("credentials/list", {"userID": user_id}))
        return [str(c) for c in body.get("credentialIDs", [])]

    async def credential_info(self, credential_id: str) -> CredentialInfo:
        body = _json(
            await self._call(
                "credentials/info", {"credentialID": credential_id, "certificates": "chain"}
            )
        )
        return CredentialInfo(
            credential_id=credential_id,
            certificates=tuple(base64.b64decode(c) for c in body["cert"]["certificates"]),
            multisign=int(body.get("multisign", 1)),
            scal=str(body.get("SCAL", "1")),
            key_algorithms=tuple(body.get("key", {}).get("algo", [])),
        )

    async def authorize(
        self, credential_id: str, digests: Sequence[bytes], description: str
    ) -> str:
        """Start the signer's approval of `digests` (SHA-256); the response id to check."""
        body = _json(
            await self._call(
                "credentials/authorize",
                {
                    "credentialID": credential_id,
                    "numSignatures": len(digests),
                    "hashes": [b64(d) for d in digests],
                    "hashAlgorithmOID": SHA256_OID,
                    "description": description[:500],
                },
            )
        )
        return str(body["responseID"])

    async def authorize_check(self, response_id: str) -> Approval:
        """Pending, or the SAD with its lifetime; a refusal or expiry is `CscRefused`."""
        response = await self._call("credentials/authorizeCheck", {"responseID": response_id})
        body = _json(response)
        if response.status_code == 202 or body.get("status") == PENDING:
            return Approval(pending=True)
        return Approval(pending=False, sad=str(body["SAD"]), expires_in=int(body["expiresIn"]))

    async def sign_hash(
        self, credential_id: str, sad: str, digests: Sequence[bytes]
    ) -> list[bytes]:
        body = _json(
            await self._call(
                "signatures/signHash",
                {
                    "credentialID": credential_id,
                    "SAD": sad,
                    "hashes": [b64(d) for d in digests],
                    "hashAlgorithmOID": SHA256_OID,
                    "signAlgo": SHA256_WITH_RSA_OID,
                },
            )
        )
        return [base64.b64decode(s) for s in body["signatures"]]


def _json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object answered ({} for anything else: an HTML error page, nothing)."""
    try:
        decoded = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        decoded = None
    return decoded if isinstance(decoded, dict) else {}
