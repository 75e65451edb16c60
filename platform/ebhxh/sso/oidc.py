"""The OpenID Connect relying party: discovery (cached), the authorization request with
`state`, `nonce` and PKCE (S256), the code exchange (Authlib), and full validation of the ID
token (joserfc): signature against the provider's JWKS, re-fetched once when a token names
a key it has not seen (key rotation), then issuer, audience, expiry, issue time and nonce.

Every failure becomes a `ProblemError` with a stable code: an unreachable provider is 503,
a provider that answers nonsense or refuses is 502, a token that does not validate is 401.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import msgspec
import structlog
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.sso.schemas import IdentityProviderConfig

log = structlog.get_logger(__name__)

SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""Asymmetric algorithms only: never `none`, and never HMAC keyed with the client secret."""
METADATA_TTL_SECONDS = 3600.0
JWKS_REFRESH_INTERVAL_SECONDS = 5.0
"""A token with an unknown key id re-fetches the JWKS at most this often, so forged key
ids cannot make us hammer the provider."""
MAX_SUBJECT_LENGTH = 255
"""OIDC Core 2: `sub` is at most 255 ASCII characters."""
LEEWAY_SECONDS = 60
"""Clock skew tolerated on `exp` and `iat`."""


class AuthorizationRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Where to send the browser, and the secrets to keep server-side until the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class ProviderMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of the discovery document the relying party uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)


class _Cached(msgspec.Struct):
    value: Any
    fetched_at: float


def _unavailable(issuer: str, exc: Exception) -> ProblemError:
    log.warning("sso_provider_unreachable", issuer=issuer, error_type=type(exc).__name__)
    return ProblemError(ErrorCode.SSO_IDP_UNAVAILABLE, status=503)


def _bad_answer(issuer: str, reason: str) -> ProblemError:
    log.warning("sso_provider_bad_answer", issuer=issuer, reason=reason)
    return ProblemError(ErrorCode.SSO_IDP_ERROR, status=502, params={"reason": reason})


def _reason(exc: JoseError) -> str:
    """A short, stable reason to show and log (never the token itself)."""
    if isinstance(exc, ClaimError):
        return f"{exc.error} ({exc.claim})"
    return exc.error or type(exc).__name__


def _invalid_token(reason: str) -> ProblemError:
    log.warning("sso_id_token_refused", reason=reason)
    return ProblemError(ErrorCode.SSO_ID_TOKEN_INVALID, status=401, params={"reason": reason})


class OidcClient:
    """One per process: caches discovery documents and key sets by issuer and JWKS URL."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._metadata: dict[str, _Cached] = {}
        self._keys: dict[str, _Cached] = {}

    async def _get_json(self, issuer: str, url: str) -> Any:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _unavailable(issuer, exc) from exc
        if response.status_code >= 500:
            raise ProblemError(ErrorCode.SSO_IDP_UNAVAILABLE, status=503)
        if response.status_code != 200:
            raise _bad_answer(issuer, f"HTTP {response.status_code} from {url}")
        try:
            return response.json()
        except ValueError as exc:
            raise _bad_answer(issuer, f"not JSON from {url}") from exc

    async def metadata(self, issuer: str) -> ProviderMetadata:
        """The provider's discovery document (cached for an hour)."""
        cached = self._metadata.get(issuer)
        if cached is not None and time.monotonic() - cached.fetched_at < METADATA_TTL_SECONDS:
            value: ProviderMetadata = cached.value
            return value
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(issuer, url)
        try:
            metadata = msgspec.convert(document, ProviderMetadata)
        except msgspec.ValidationError as exc:
            raise _bad_answer(issuer, "incomplete discovery document") from exc
        # The discovery document must name the issuer that was configured (OIDC Discovery
        # 4.3), or a provider could speak for another.
        if metadata.issuer.rstrip("/") != issuer.rstrip("/"):
            raise _bad_answer(issuer, "the discovery document names another issuer")
        self._metadata[issuer] = _Cached(metadata, time.monotonic())
        return metadata

    async def _key_set(self, metadata: ProviderMetadata, *, refresh: bool) -> KeySet:
        cached = self._keys.get(metadata.jwks_uri)
        if cached is not None:
            recent = time.monotonic() - cached.fetched_at < JWKS_REFRESH_INTERVAL_SECONDS
            if not refresh or recent:
                keys: KeySet = cached.value
                return keys
        document = await self._get_json(metadata.issuer, metadata.jwks_uri)
        try:
            key_set = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise _bad_answer(metadata.issuer, "unusable JWKS") from exc
        self._keys[metadata.jwks_uri] = _Cached(key_set, time.monotonic())
        return key_set

    def _client(
        self, config: IdentityProviderConfig, metadata: ProviderMetadata, redirect_uri: str
    ) -> AsyncOAuth2Client:
        supported = metadata.token_endpoint_auth_methods_supported
        method = "client_secret_post" if "client_secret_basic" not in supported else None
        return AsyncOAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_endpoint_auth_method=method or "client_secret_basic",
            scope=" ".join(config.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    async def authorization_request(
        self, config: IdentityProviderConfig, redirect_uri: str, login_hint: str | None = None
    ) -> AuthorizationRequest:
        """The provider's authorization URL with fresh `state`, `nonce` and PKCE verifier."""
        metadata = await self.metadata(config.issuer)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        extra = {"login_hint": login_hint} if login_hint else {}
        async with self._client(config, metadata, redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata.authorization_endpoint,
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                **extra,
            )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def exchange(
        self,
        config: IdentityProviderConfig,
        redirect_uri: str,
        *,
        code: str,
        code_verifier: str,
        nonce: str,
    ) -> dict[str, Any]:
        """Exchange the code for tokens and return the validated ID token's claims."""
        metadata = await self.metadata(config.issuer)
        try:
            async with self._client(config, metadata, redirect_uri) as client:
                token = await client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code >= 500:
                raise ProblemError(ErrorCode.SSO_IDP_UNAVAILABLE, status=503) from exc
            raise _bad_answer(config.issuer, f"HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise _unavailable(config.issuer, exc) from exc
        except OAuthError as exc:
            raise _bad_answer(config.issuer, str(exc.error)[:100]) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _bad_answer(config.issuer, "no ID token in the token response")
        return await self.validate_id_token(id_token, config, metadata, nonce)

    async def validate_id_token(
        self,
        id_token: str,
        config: IdentityProviderConfig,
        metadata: ProviderMetadata,
        nonce: str,
    ) -> dict[str, Any]:
        """The claims of `id_token` once every check of OIDC Core 3.1.3.7 passed."""
        algorithms = [
            a for a in metadata.id_token_signing_alg_values_supported if a in SIGNING_ALGORITHMS
        ]
        if not algorithms:
            raise _bad_answer(config.issuer, "no supported ID-token signing algorithm")
        key_set = await self._key_set(metadata, refresh=False)
        try:
            try:
                token = jwt.decode(id_token, key_set, algorithms=algorithms)
            except InvalidKeyIdError:
                # The provider may have rotated its keys since we fetched them.
                key_set = await self._key_set(metadata, refresh=True)
                token = jwt.decode(id_token, key_set, algorithms=algorithms)
        except JoseError as exc:
            raise _invalid_token(_reason(exc)) from exc
        except ValueError as exc:  # not a JWS at all
            raise _invalid_token("malformed") from exc
        claims: dict[str, Any] = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": metadata.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": config.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise _invalid_token(_reason(exc)) from exc
        if len(str(claims["sub"])) > MAX_SUBJECT_LENGTH:
            raise _invalid_token("invalid_claim (sub)")
        audience = claims["aud"]
        if (
            isinstance(audience, list)
            and len(audience) > 1
            and claims.get("azp") != config.client_id
        ):
            raise _invalid_token("azp")
        return claims
