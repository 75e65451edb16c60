"""The development provider's HTTP side, a Litestar app the platform mounts at /dev-idp:
discovery, JWKS, the authorization endpoint (GET shows the login form, POST signs in and
redirects with a code), the token endpoint and userinfo.

Authorization errors follow RFC 6749 section 4.1.2.1: while the client and its redirect
URI are not both verified the answer is a 400 JSON error here; after that the error goes
back to the client on its redirect URI. The token endpoint answers OAuth JSON errors.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from litestar import Litestar, Request, Response, get, post, route
from litestar.datastructures import State
from litestar.enums import MediaType

from ebhxh.dev_idp import files, login_page, users
from ebhxh.dev_idp.adapter import LitestarOAuth2Request, oauth_request
from ebhxh.dev_idp.provider import SCOPES, TOKEN_AUTH_METHODS, DevClient, DevProvider
from ebhxh.dev_idp.urls import CLIENT_ID, issuer, redirect_uris
from ebhxh.settings import Settings

AnyRequest = Request[Any, Any, Any]


def _provider(request: AnyRequest) -> DevProvider:
    provider: DevProvider = request.app.state.provider
    return provider


def discovery(issuer_url: str) -> dict[str, Any]:
    return {
        "issuer": issuer_url,
        "authorization_endpoint": f"{issuer_url}/authorize",
        "token_endpoint": f"{issuer_url}/token",
        "userinfo_endpoint": f"{issuer_url}/userinfo",
        "jwks_uri": f"{issuer_url}/jwks",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "name",
            "email",
            "email_verified",
            "groups",
        ],
    }


@get("/.well-known/openid-configuration", sync_to_thread=False)
def configuration(request: AnyRequest) -> dict[str, Any]:
    return discovery(_provider(request).issuer)


@get("/jwks", sync_to_thread=False)
def jwks(request: AnyRequest) -> dict[str, Any]:
    public = _provider(request).key.as_dict(private=False)
    return {"keys": [{**public, "use": "sig", "alg": "RS256"}]}


def _login_form(
    issuer_url: str, request: LitestarOAuth2Request, *, email: str, failed: bool
) -> Response[str]:
    params = [(k, v) for k, values in request.payload.datalist.items() for v in values]
    page = login_page.render(f"{issuer_url}/authorize", params, email=email, failed=failed)
    return Response(
        page,
        status_code=401 if failed else 200,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


@route("/authorize", http_method=["GET", "POST"])
async def authorize(request: AnyRequest) -> Response[Any]:
    provider = _provider(request)
    oauth = await oauth_request(request, drop=login_page.FORM_FIELDS)
    user = None
    email = ""
    if request.method == "POST":
        form = await request.form()
        email = str(form.get(login_page.EMAIL_FIELD, ""))
        user = users.authenticate(email, str(form.get(login_page.PASSWORD_FIELD, "")))
    try:
        grant = provider.get_consent_grant(oauth, end_user=user)
    except OAuth2Error as error:
        return provider.handle_error_response(oauth, error)  # type: ignore[no-any-return]
    except ValueError as malformed:
        # Authlib quotes some parameters (redirect URI, response type) in its error text and
        # refuses to build one holding characters RFC 6749 forbids there (`"`, `\`, non-ASCII).
        if "forbidden characters" not in str(malformed):
            raise
        refusal = InvalidRequestError("A parameter holds characters it may not.")
        return provider.handle_error_response(oauth, refusal)  # type: ignore[no-any-return]
    if user is None:
        return _login_form(provider.issuer, oauth, email=email, failed=request.method == "POST")
    return provider.create_authorization_response(  # type: ignore[no-any-return]
        oauth, grant_user=user, grant=grant
    )


@post("/token")
async def token(request: AnyRequest) -> Response[Any]:
    provider = _provider(request)
    return provider.create_token_response(await oauth_request(request))  # type: ignore[no-any-return]


@route("/userinfo", http_method=["GET", "POST"])
async def userinfo(request: AnyRequest) -> Response[Any]:
    provider = _provider(request)
    return provider.create_endpoint_response(  # type: ignore[no-any-return]
        "userinfo", await oauth_request(request)
    )


def create_dev_idp_app(settings: Settings) -> Litestar:
    """The provider for the platform on `settings`; its key and the client's secret are
    read from (or generated into) the data folder.
    """
    client = DevClient(CLIENT_ID, files.client_secret(settings), redirect_uris(settings))
    provider = DevProvider(issuer(settings), files.signing_key(settings), client)
    return Litestar(
        route_handlers=[configuration, jwks, authorize, token, userinfo],
        state=State({"provider": provider}),
        openapi_config=None,
        logging_config=None,
    )
