"""Helpers for tests that sign in with the development identity provider: the platform on
the embedded default served by uvicorn on a free port (so the provider's issuer is a real
address), an Authlib client registered as `ebhxh-embedded`, and ID-token validation with
joserfc against the provider's published JWKS.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from ebhxh import dev_idp
from ebhxh.app import create_app
from ebhxh.demo.threaded import ThreadedServer, free_port
from ebhxh.settings import Settings

SCOPE = "openid email profile"


def embedded_settings(data_dir: Path, secret_key: str, **overrides: Any) -> Settings:
    """The embedded default (no database URL) in `data_dir`, on a port nothing uses."""
    return Settings(
        data_dir=str(data_dir),
        host="127.0.0.1",
        port=free_port(),
        queue_name="ebhxh-test-devidp:queue",
        secret_keys=(secret_key,),
        **overrides,
    )


@contextmanager
def serving(settings: Settings) -> Iterator[ThreadedServer]:
    """`create_app(settings)` under uvicorn on `settings.port` until the block ends."""
    server = ThreadedServer(create_app(settings, configure_logs=False), port=settings.port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def oauth_client(settings: Settings, auth_method: str = "client_secret_post") -> AsyncOAuth2Client:
    secret = dev_idp.client_secret_path(settings).read_text(encoding="utf-8").strip()
    return AsyncOAuth2Client(
        client_id=dev_idp.CLIENT_ID,
        client_secret=secret,
        scope=SCOPE,
        redirect_uri=dev_idp.redirect_uris(settings)[0],
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )


class AuthorizationRequest:
    """One authorization request with fresh PKCE verifier, nonce and state."""

    def __init__(self, client: AsyncOAuth2Client, settings: Settings) -> None:
        self.verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)
        self.url, self.state = client.create_authorization_url(
            f"{dev_idp.issuer(settings)}/authorize", code_verifier=self.verifier, nonce=self.nonce
        )


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[tuple[str, str]] = []
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        if tag == "input" and values.get("type") == "hidden":
            self.hidden.append((values.get("name") or "", values.get("value") or ""))


def login_form(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The login page's form action and hidden fields."""
    parser = _Inputs()
    parser.feed(page)
    return parser.action, parser.hidden


async def sign_in(
    http: httpx.AsyncClient, request: AuthorizationRequest, email: str, password: str
) -> httpx.Response:
    """Open the authorization URL, then post its login form as a browser would; the answer
    (not followed) is returned.
    """
    page = await http.get(request.url)
    assert page.status_code == 200, page.text
    action, hidden = login_form(page.text)
    fields = [*hidden, ("login_email", email), ("login_password", password)]
    return await http.post(action, data=dict(fields))


async def validate_id_token(
    http: httpx.AsyncClient, settings: Settings, id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, verified against the provider's JWKS (found through
    discovery): signature, issuer, audience, nonce and expiry.
    """
    issuer = dev_idp.issuer(settings)
    configuration = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
    keys = KeySet.import_key_set((await http.get(configuration["jwks_uri"])).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": dev_idp.CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    )
    registry.validate(token.claims)
    assert token.header["kid"] in {key.kid for key in keys}
    return dict(token.claims)
