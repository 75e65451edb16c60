"""The development OpenID provider, built from Authlib's server side: an authorization server
with the authorization-code grant, PKCE with S256 required (`plain` and missing challenges
refused), OpenID Connect ID tokens signed RS256 with the provider's key, a userinfo endpoint
behind bearer tokens, and one registered confidential client.

Codes and tokens live in memory: restarting the provider signs everybody out of it, which is
what a development provider may do. A code is single-use; presenting it again revokes the
tokens it gave (RFC 6749 section 4.1.2).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import generate_token
from authlib.consts import default_json_headers
from authlib.oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    OAuth2Request,
    TokenMixin,
    list_to_scope,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.core.models import AuthorizationCodeMixin as OpenIDCodeMixin
from joserfc.jwk import RSAKey
from litestar import Response

from ebhxh.dev_idp import users
from ebhxh.dev_idp.adapter import litestar_response
from ebhxh.dev_idp.users import DemoUser

SCOPES = ("openid", "profile", "email", "groups")
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
CODE_SECONDS = 600  # RFC 6749 recommends at most ten minutes
TOKEN_SECONDS = 3600


class DevClient(ClientMixin):  # type: ignore[misc]
    """The one registered client: confidential, code flow only, exact redirect URIs."""

    def __init__(self, client_id: str, secret: str, redirect_uris: tuple[str, ...]) -> None:
        self.client_id = client_id
        self._secret = secret
        self.redirect_uris = redirect_uris
        self.client_metadata: dict[str, Any] = {}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect requires the request to name its redirect URI

    def get_allowed_scope(self, scope: str | None) -> str:
        return str(list_to_scope([s for s in scope_to_list(scope or "") if s in SCOPES]))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self._secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in TOKEN_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class IssuedCode(OpenIDCodeMixin):  # type: ignore[misc]  # OAuth's code model + OpenID's
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: DemoUser
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    expires_at: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


@dataclass
class IssuedToken(TokenMixin):  # type: ignore[misc]
    access_token: str
    client: DevClient
    user: DemoUser
    scope: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client: DevClient) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return TOKEN_SECONDS

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> DemoUser:
        return self.user

    def get_client(self) -> DevClient:
        return self.client


class Store:
    """Codes and access tokens of this process. Authlib's handlers run without awaiting, so
    a redemption is atomic on the event loop; the lock covers threads (a threaded server).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, IssuedCode] = {}
        self._tokens: dict[str, IssuedToken] = {}

    def add_code(self, code: IssuedCode) -> None:
        with self._lock:
            now = time.time()
            for stale in [c for c, item in self._codes.items() if item.expires_at < now]:
                del self._codes[stale]
            self._codes[code.code] = code

    def redeemable(self, code: str, client_id: str) -> IssuedCode | None:
        """The code if this client may still redeem it. A used code is refused and the
        tokens it gave are revoked: its second appearance means it leaked.
        """
        with self._lock:
            item = self._codes.get(code)
            if item is None or item.client_id != client_id or item.expires_at < time.time():
                return None
            if item.used:
                for token in item.access_tokens:
                    if token in self._tokens:
                        self._tokens[token].revoked = True
                return None
            return item

    def mark_used(self, code: IssuedCode) -> None:
        with self._lock:
            code.used = True

    def nonce_in_use(self, client_id: str, nonce: str) -> bool:
        with self._lock:
            return any(c.client_id == client_id and c.nonce == nonce for c in self._codes.values())

    def add_token(self, token: IssuedToken, code: IssuedCode | None) -> None:
        with self._lock:
            for stale in [t for t, item in self._tokens.items() if item.is_expired()]:
                del self._tokens[stale]
            self._tokens[token.access_token] = token
            if code is not None:
                code.access_tokens.append(token.access_token)

    def token(self, access_token: str) -> IssuedToken | None:
        with self._lock:
            return self._tokens.get(access_token)


def user_claims(user: DemoUser, scope: str) -> dict[str, Any]:
    """Standard claims filtered by scope, and `groups` always: the platform maps groups to
    roles, and a development provider need not make the client ask for them.
    """
    info = UserInfo(sub=user.subject, name=user.name, email=user.email, email_verified=True).filter(
        scope
    )
    claims = dict(info)
    claims["groups"] = list(user.groups)
    return claims


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE required of every authorization request, with the S256 method only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class DevOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens for the code flow: RS256 with the provider's key and its `kid`."""

    def __init__(self, provider: DevProvider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def resolve_client_private_key(self, client: DevClient) -> RSAKey:
        return self.provider.key

    def get_client_algorithm(self, client: DevClient) -> str:
        return "RS256"

    def get_encode_header(self, client: DevClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.provider.key.kid)}

    def get_client_claims(self, client: DevClient) -> dict[str, Any]:
        return {"iss": self.provider.issuer, "aud": [client.client_id]}

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self.provider.store.nonce_in_use(request.payload.client_id, nonce)

    def generate_user_info(self, user: DemoUser, scope: str) -> dict[str, Any]:
        return user_claims(user, scope)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_AUTH_METHODS)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        now = time.time()
        self.server.store.add_code(
            IssuedCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                user=request.user,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                auth_time=int(now),
                expires_at=now + CODE_SECONDS,
            )
        )

    def query_authorization_code(self, code: str, client: DevClient) -> IssuedCode | None:
        return self.server.store.redeemable(code, client.client_id)  # type: ignore[no-any-return]

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        self.server.store.mark_used(authorization_code)

    def authenticate_user(self, authorization_code: IssuedCode) -> DemoUser | None:
        return users.find(authorization_code.user.email)


class _TokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        return self.store.token(token_string)


class DevUserInfo(UserInfoEndpoint):  # type: ignore[misc]
    """Userinfo as plain JSON for a valid bearer token with the `openid` scope. Authlib's
    own `__call__` asks its protector for the token without the request (a Flask habit);
    here the request is passed.
    """

    def __call__(self, request: OAuth2Request) -> tuple[int, dict[str, Any], list[Any]]:
        token = self.resource_protector.validate_request(["openid"], request)
        return 200, user_claims(token.get_user(), token.get_scope()), default_json_headers


class DevProvider(AuthorizationServer):  # type: ignore[misc]
    """The authorization server: `issuer` is its URL, `key` its signing key, `client` the
    one registered client.
    """

    def __init__(self, issuer: str, key: RSAKey, client: DevClient) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.issuer = issuer
        self.key = key
        self.client = client
        self.store = Store()
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(48),
                expires_generator=TOKEN_SECONDS,
            ),
        )
        self.register_grant(CodeGrant, [S256Challenge(required=True), DevOpenIDCode(self)])
        protector = ResourceProtector()
        protector.register_token_validator(_TokenValidator(self.store))
        self.register_endpoint(DevUserInfo(resource_protector=protector))

    def query_client(self, client_id: str) -> DevClient | None:
        if secrets.compare_digest(client_id.encode(), self.client.client_id.encode()):
            return self.client
        return None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.store.add_token(
            IssuedToken(
                access_token=token["access_token"],
                client=request.client,
                user=request.user,
                scope=token.get("scope", ""),
                expires_at=time.time() + int(token["expires_in"]),
            ),
            request.authorization_code,
        )

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # the handlers build it from the Litestar request (adapter.py)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("the development provider takes no JSON requests")

    def handle_response(self, status: int, body: Any, headers: Any) -> Response[bytes]:
        return litestar_response(status, body, headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners: Authlib calls this after authenticating a client."""
