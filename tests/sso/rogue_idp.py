"""An OpenID provider we control, for the ID tokens a certified provider never issues
(tampered, expired, for another audience or issuer, unsigned, replayed). It speaks the same
protocol (discovery, JWKS, authorize, token) and signs with joserfc; each test says how the
next ID token is made from the claims a good one would carry.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, Request, get, post
from litestar.response import Redirect

from ebhxh.demo.threaded import ThreadedServer

Minter = Callable[["RogueProvider", dict[str, Any]], str]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RogueProvider:
    """Serves on 127.0.0.1; `minter` turns the good claims into the token it hands out."""

    client_id = "rogue-client"
    client_secret = "rogue-secret-" + "x" * 40

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "rogue-1"}, private=True)
        self.minter: Minter = RogueProvider.signed
        self.issued: list[str] = []
        self.discovery_requests = 0
        self._nonces: dict[str, str] = {}
        self.server = ThreadedServer(self._app())
        self.issuer = self.server.url

    # -- ways to make a token ------------------------------------------------------------
    def signed(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": "rogue-1"}, claims, self.key)

    def good_claims(self, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "sub": "rogue-user-1",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": f"rogue-{secrets.token_hex(4)}@rogue.example",
            "groups": ["ebhxh-viewers"],
        }

    # -- the protocol ----------------------------------------------------------------------
    def _app(self) -> Litestar:
        provider = self

        @get("/.well-known/openid-configuration", sync_to_thread=False)
        def discovery() -> dict[str, Any]:
            provider.discovery_requests += 1
            return {
                "issuer": provider.issuer,
                "authorization_endpoint": provider.issuer + "/authorize",
                "token_endpoint": provider.issuer + "/token",
                "jwks_uri": provider.issuer + "/jwks",
                # Advertising `none` and HS256 must not make the relying party accept them.
                "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            }

        @get("/jwks", sync_to_thread=False)
        def jwks() -> dict[str, Any]:
            return {"keys": [provider.key.as_dict(private=False)]}

        @get("/authorize", sync_to_thread=False)
        def authorize(request: Request[Any, Any, Any]) -> Redirect:
            query = request.query_params
            code = secrets.token_urlsafe(16)
            provider._nonces[code] = query["nonce"]
            target = (
                query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
            )
            return Redirect(target, status_code=302)

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> dict[str, Any]:
            form = await request.form()
            nonce = provider._nonces.pop(str(form["code"]))
            id_token = provider.minter(provider, provider.good_claims(nonce))
            provider.issued.append(id_token)
            return {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}

        return Litestar([discovery, jwks, authorize, token])


def unsigned(provider: RogueProvider, claims: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."
