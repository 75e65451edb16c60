"""The development identity provider at /dev-idp: discovery and keys, the code flow with
PKCE and nonce through its login form (Authlib's client, the ID token checked with joserfc),
everything the specifications say to refuse, its files, and that it is off unless the
embedded default or `EBHXH_DEV_IDP` turns it on.
"""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.discovery import OpenIDProviderMetadata
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh import dev_idp
from ebhxh.app import create_app
from ebhxh.dev_idp.files import KEY_FILE, folder
from ebhxh.dev_idp.users import DEV_PASSWORD, USERS
from ebhxh.settings import Settings
from tests.conftest import SECRET_KEY
from tests.dev_idp_helpers import (
    AuthorizationRequest,
    embedded_settings,
    oauth_client,
    sign_in,
    validate_id_token,
)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_discovery_and_keys(embedded_platform: Settings, http: httpx.AsyncClient) -> None:
    issuer = dev_idp.issuer(embedded_platform)
    assert issuer == f"http://127.0.0.1:{embedded_platform.port}/dev-idp"
    answer = await http.get(f"{issuer}/.well-known/openid-configuration")
    assert answer.status_code == 200
    metadata = OpenIDProviderMetadata(answer.json())
    metadata.validate()  # Authlib's checks of the OpenID Discovery fields
    assert metadata["issuer"] == issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    keys = (await http.get(metadata["jwks_uri"])).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])  # the public half only


@pytest.mark.parametrize("auth_method", ["client_secret_post", "client_secret_basic"])
async def test_code_flow_with_pkce_and_nonce(
    embedded_platform: Settings, http: httpx.AsyncClient, auth_method: str
) -> None:
    async with oauth_client(embedded_platform, auth_method) as client:
        request = AuthorizationRequest(client, embedded_platform)
        answer = await sign_in(http, request, "hr@demo.example", DEV_PASSWORD)
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert location.startswith(dev_idp.redirect_uris(embedded_platform)[0] + "?")
        assert query(location)["state"] == request.state
        token = await client.fetch_token(
            f"{dev_idp.issuer(embedded_platform)}/token",
            authorization_response=location,
            code_verifier=request.verifier,
        )
        claims = await validate_id_token(http, embedded_platform, token["id_token"], request.nonce)
        assert claims["email"] == "hr@demo.example"
        assert claims["groups"] == ["ebhxh-hr"]
        info = await client.get(f"{dev_idp.issuer(embedded_platform)}/userinfo")
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["groups"] == ["ebhxh-hr"]


@asynccontextmanager
async def code_for_admin(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> AsyncIterator[tuple[AsyncOAuth2Client, AuthorizationRequest, str]]:
    """A client, its authorization request, and the code admin@ signing in gave it."""
    async with oauth_client(embedded_platform) as client:
        request = AuthorizationRequest(client, embedded_platform)
        answer = await sign_in(http, request, "admin@demo.example", DEV_PASSWORD)
        assert answer.status_code == 302, answer.text
        yield client, request, query(answer.headers["location"])["code"]


async def test_a_code_is_used_once_and_its_reuse_revokes_the_token(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> None:
    token_url = f"{dev_idp.issuer(embedded_platform)}/token"
    async with code_for_admin(embedded_platform, http) as (client, request, code):
        first = await client.fetch_token(token_url, code=code, code_verifier=request.verifier)
        assert (
            await client.get(f"{dev_idp.issuer(embedded_platform)}/userinfo")
        ).status_code == 200
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(token_url, code=code, code_verifier=request.verifier)
        assert refused.value.error == "invalid_grant"
        revoked = await http.get(
            f"{dev_idp.issuer(embedded_platform)}/userinfo",
            headers={"Authorization": f"Bearer {first['access_token']}"},
        )
    assert revoked.status_code == 401
    assert "invalid_token" in revoked.headers["www-authenticate"]


async def test_a_wrong_pkce_verifier_is_refused(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> None:
    token_url = f"{dev_idp.issuer(embedded_platform)}/token"
    async with code_for_admin(embedded_platform, http) as (client, request, code):
        other = AuthorizationRequest(client, embedded_platform).verifier
        with pytest.raises(OAuthError) as wrong:
            await client.fetch_token(token_url, code=code, code_verifier=other)
        assert wrong.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as missing:
            await client.fetch_token(token_url, code=code)
        assert missing.value.error == "invalid_request"
        # The right verifier still redeems it: the refusals did not burn the code.
        token = await client.fetch_token(token_url, code=code, code_verifier=request.verifier)
    assert token["id_token"]


async def test_a_wrong_client_secret_is_refused(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> None:
    async with code_for_admin(embedded_platform, http) as (_, request, code):
        pass
    answer = await http.post(
        f"{dev_idp.issuer(embedded_platform)}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": request.verifier,
            "redirect_uri": dev_idp.redirect_uris(embedded_platform)[0],
        },
        auth=(dev_idp.CLIENT_ID, "not-the-secret"),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def _authorize_params(embedded_platform: Settings, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": dev_idp.CLIENT_ID,
        "redirect_uri": dev_idp.redirect_uris(embedded_platform)[0],
        "scope": "openid email",
        "state": "s-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "error", "back_to_client"),
    [
        ({"client_id": "someone-else"}, "invalid_client", False),
        ({"client_id": None}, "invalid_client", False),
        ({"redirect_uri": "http://127.0.0.1:1/auth/callback"}, "invalid_request", False),
        ({"redirect_uri": None}, "invalid_request", False),
        ({"redirect_uri": 'http://127.0.0.1/"\\'}, "invalid_request", False),
        ({"response_type": 'co"de'}, "invalid_request", False),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request", True),
        ({"code_challenge_method": "plain"}, "invalid_request", True),
        ({"code_challenge_method": None}, "invalid_request", True),
        ({"response_type": "token"}, "unsupported_response_type", True),
    ],
    ids=[
        "unknown-client",
        "no-client",
        "wrong-redirect-uri",
        "no-redirect-uri",
        "quote-in-redirect-uri",
        "quote-in-response-type",
        "no-pkce",
        "plain-pkce",
        "no-pkce-method",
        "implicit",
    ],
)
async def test_a_refused_authorization_request(
    embedded_platform: Settings,
    http: httpx.AsyncClient,
    changes: dict[str, str | None],
    error: str,
    back_to_client: bool,
) -> None:
    """RFC 6749 4.1.2.1: an error goes back to the client only once the client and its
    redirect URI are verified; before that it is answered here, never redirected.
    """
    answer = await http.get(
        f"{dev_idp.issuer(embedded_platform)}/authorize",
        params=_authorize_params(embedded_platform, **changes),
    )
    if not back_to_client:
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert answer.json()["error"] == error
        return
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(dev_idp.redirect_uris(embedded_platform)[0] + "?")
    assert query(location)["error"] == error
    assert query(location)["state"] == "s-1"


async def test_the_login_page_lists_the_users_and_refuses_a_wrong_password(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> None:
    async with oauth_client(embedded_platform) as client:
        request = AuthorizationRequest(client, embedded_platform)
    page = await http.get(request.url)
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text
    assert DEV_PASSWORD in page.text
    for user in USERS:
        assert user.email in page.text
    refused = await sign_in(http, request, "admin@demo.example", "guess")
    assert refused.status_code == 401
    assert "location" not in refused.headers
    assert "Sai người dùng hoặc mật khẩu" in refused.text
    unknown = await sign_in(http, request, "stranger@demo.example", DEV_PASSWORD)
    assert unknown.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "error"),
    [
        ("POST", "/token", {}, 400, "unsupported_grant_type"),
        ("POST", "/token", {"grant_type": "authorization_code"}, 401, "invalid_client"),
        ("POST", "/token", {"grant_type": "password", "username": "x"}, 400, None),
        ("GET", "/userinfo", None, 401, None),
        ("GET", "/authorize", None, 400, "unsupported_response_type"),
    ],
)
async def test_malformed_requests_get_oauth_errors_not_500(
    embedded_platform: Settings,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    data: dict[str, str] | None,
    status: int,
    error: str | None,
) -> None:
    answer = await http.request(method, f"{dev_idp.issuer(embedded_platform)}{path}", data=data)
    assert answer.status_code == status
    if error is not None:
        assert answer.json()["error"] == error


async def test_the_userinfo_needs_a_known_token(
    embedded_platform: Settings, http: httpx.AsyncClient
) -> None:
    answer = await http.get(
        f"{dev_idp.issuer(embedded_platform)}/userinfo", headers={"Authorization": "Bearer made-up"}
    )
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers["www-authenticate"]


def test_the_key_and_the_client_secret_are_private_files_kept_across_restarts(
    embedded_platform: Settings,
) -> None:
    secret_path = dev_idp.client_secret_path(embedded_platform)
    key_path = folder(embedded_platform) / KEY_FILE
    for path in (secret_path, key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    secret = secret_path.read_text(encoding="utf-8")
    key = key_path.read_text(encoding="utf-8")
    assert len(secret.strip()) >= 32
    restarted = embedded_settings(Path(embedded_platform.data_dir), SECRET_KEY)
    create_app(restarted, configure_logs=False)
    assert dev_idp.client_secret_path(restarted).read_text(encoding="utf-8") == secret
    assert key_path.read_text(encoding="utf-8") == key


def test_a_fresh_data_folder_gets_its_own_secrets(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, SECRET_KEY)
    path = dev_idp.client_secret_path(settings)
    assert path.parent == tmp_path.resolve() / "dev-idp"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, True),
        ({"EBHXH_DEV_IDP": "false"}, False),
        ({"EBHXH_DATABASE_URL": "postgresql://h/db"}, False),
        ({"EBHXH_DATABASE_URL": "postgresql://h/db", "EBHXH_DEV_IDP": "true"}, True),
    ],
)
def test_on_for_the_embedded_default_or_by_setting_only(environ: dict[str, str], on: bool) -> None:
    assert Settings.from_env(environ).dev_idp_enabled is on


def _mounted(app: Litestar) -> bool:
    return any(route.path.startswith("/dev-idp") for route in app.routes)


async def test_not_mounted_on_postgresql_without_the_setting(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=pg_url, data_dir=str(tmp_path), secret_keys=(SECRET_KEY,))
    app = create_app(settings, configure_logs=False)
    assert not _mounted(app)
    async with AsyncTestClient(app=app) as client:
        answer = await client.get("/dev-idp/.well-known/openid-configuration")
    assert answer.status_code in {401, 404}
    assert not (tmp_path / "dev-idp").exists()  # no secrets generated either
    turned_on = msgspec.structs.replace(settings, dev_idp=True)
    assert _mounted(create_app(turned_on, configure_logs=False))
