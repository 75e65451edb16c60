"""HTTP routes of single sign-on: the browser flow under /auth (errors as HTML pages) and
the tenant admin's `/identity-provider` (the client secret goes in, never out).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect

from ebhxh.auth.guards import not_through_support, requires
from ebhxh.auth.principal import Principal
from ebhxh.auth.tokens import hash_token
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.http.params import QueryText
from ebhxh.http.rate_limit import SIGN_IN, rate_limited
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.sso import flow, lookup
from ebhxh.sso.oidc import OidcClient
from ebhxh.sso.pages import HTML_ERRORS, HTML_PAGES, signed_out_page
from ebhxh.sso.schemas import (
    IdentityProviderConfig,
    IdentityProviderIn,
    IdentityProviderOut,
    SignedInOut,
)
from ebhxh.sso.service import (
    configure_identity_provider,
    read_identity_provider,
    remove_identity_provider,
    signed_in_as,
)
from ebhxh.sso.sessions import (
    CALLBACK_PATH,
    SESSION_COOKIE,
    STATE_COOKIE,
    cleared,
    end_session,
    idle_limit,
    session_cookie,
    state_cookie,
)
from ebhxh.tenancy.tables import Role

PUBLIC = {"exclude_from_auth": True}


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _box(request: Request[Any, Any, Any]) -> SecretBox:
    box: SecretBox = request.app.state.signing.secrets
    return box


def _oidc(request: Request[Any, Any, Any]) -> OidcClient:
    oidc: OidcClient = request.app.state.oidc
    return oidc


def _now(request: Request[Any, Any, Any]) -> dt.datetime:
    now: dt.datetime = request.app.state.clock.now()
    return now


def redirect_uri(request: Request[Any, Any, Any]) -> str:
    """Where the provider sends the browser back (register it with the provider)."""
    base = _settings(request).public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


class AuthController(Controller):
    """Signing in with the tenant's identity provider; browser sessions."""

    path = "/auth"
    tags = ["Single sign-on"]

    @get(
        "/login",
        operation_id="startSignIn",
        summary="Start signing in with the company's SSO (by tenant slug or email)",
        opt=PUBLIC,
        status_code=302,
        guards=[rate_limited(SIGN_IN)],
        exception_handlers=HTML_ERRORS,
        responses=HTML_PAGES,  # type: ignore[arg-type]
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        tenant: QueryText = None,
        email: QueryText = None,
        next: FromQuery[str | None] = None,  # noqa: A002 - the parameter's public name
    ) -> Redirect:
        started = await flow.start(
            slug=tenant,
            email=email,
            next_path=next,
            redirect_uri=redirect_uri(request),
            oidc=_oidc(request),
            box=_box(request),
            redis=request.app.state.redis_pool,
        )
        return Redirect(
            started.url,
            status_code=302,
            cookies=[state_cookie(started.state, _settings(request))],
            headers={"Cache-Control": "no-store"},
        )

    @get(
        "/callback",
        operation_id="finishSignIn",
        summary="Where the identity provider sends the browser back",
        opt=PUBLIC,
        status_code=302,
        guards=[rate_limited(SIGN_IN)],
        exception_handlers=HTML_ERRORS,
        responses=HTML_PAGES,  # type: ignore[arg-type]
    )
    async def callback(self, request: Request[Any, Any, Any]) -> Redirect:
        # Read from the query directly: `state` is a name Litestar reserves for app state.
        query = request.query_params
        settings = _settings(request)
        finished = await flow.finish(
            state=query.get("state"),
            browser_state=request.cookies.get(STATE_COOKIE),
            code=query.get("code"),
            error=query.get("error"),
            oidc=_oidc(request),
            box=_box(request),
            redis=request.app.state.redis_pool,
            settings=settings,
            now=_now(request),
        )
        return Redirect(
            finished.next,
            status_code=302,
            cookies=[
                session_cookie(finished.signed_in.cookie_value, settings),
                cleared(STATE_COOKIE, CALLBACK_PATH, settings),
            ],
            headers={"Cache-Control": "no-store"},
        )

    @get(
        "/me", operation_id="whoAmI", summary="Who is signed in, in which tenant, with which roles"
    )
    async def me(self, principal: NamedDependency[Principal]) -> SignedInOut:
        return await signed_in_as(principal)

    @post(
        "/logout",
        operation_id="signOut",
        summary="End the browser session (its cookie stops working at once)",
        opt=PUBLIC,
        status_code=200,
        media_type=MediaType.HTML,
        exception_handlers=HTML_ERRORS,
        responses=HTML_PAGES,  # type: ignore[arg-type]
    )
    async def logout(self, request: Request[Any, Any, Any]) -> Response[str]:
        settings = _settings(request)
        value = request.cookies.get(SESSION_COOKIE)
        if value:
            principal = await lookup.resolve_session(
                hash_token(value), _now(request), idle_limit(settings)
            )
            if principal is not None:
                await end_session(principal.scope, principal.credential_id, _now(request))
        return Response(
            content=signed_out_page(request),
            media_type=MediaType.HTML,
            cookies=[cleared(SESSION_COOKIE, "/", settings)],
            headers={"Cache-Control": "no-store"},
        )


class IdentityProviderController(Controller):
    """The tenant's identity provider, for its admins."""

    path = "/identity-provider"
    tags = ["Single sign-on"]
    guards = [requires(Role.ADMIN)]

    @get("/", operation_id="getIdentityProvider", summary="The tenant's identity provider")
    async def get_provider(
        self, tenant_scope: NamedDependency[TenantScope], request: Request[Any, Any, Any]
    ) -> IdentityProviderOut:
        config = await read_identity_provider(tenant_scope, _box(request))
        if config is None:
            raise ProblemError(ErrorCode.IDENTITY_PROVIDER_NOT_FOUND, status=404)
        return _out(config, request)

    @put(
        "/",
        operation_id="putIdentityProvider",
        summary="Configure the tenant's identity provider (leave out the secret to keep it)",
        # Who controls the provider controls who signs in: no support grant may change it.
        guards=[not_through_support],
    )
    async def put_provider(
        self,
        data: JSONBody[IdentityProviderIn],
        tenant_scope: NamedDependency[TenantScope],
        request: Request[Any, Any, Any],
    ) -> IdentityProviderOut:
        box = _box(request)
        secret = data.client_secret
        if secret is None:
            current = await read_identity_provider(tenant_scope, box)
            if current is None:
                raise ProblemError(ErrorCode.FIELD_REQUIRED, field="client_secret")
            secret = current.client_secret
        config = IdentityProviderConfig(
            issuer=data.issuer,
            client_id=data.client_id,
            client_secret=secret,
            scopes=data.scopes,
            roles_claim=data.roles_claim,
            role_mapping=data.role_mapping,
            email_domains=data.email_domains,
        )
        await configure_identity_provider(tenant_scope, config, box)
        return _out(config, request)

    @delete(
        "/",
        operation_id="deleteIdentityProvider",
        summary="Remove the tenant's identity provider (SSO sign-in stops)",
        status_code=204,
        guards=[not_through_support],
    )
    async def delete_provider(self, tenant_scope: NamedDependency[TenantScope]) -> None:
        if not await remove_identity_provider(tenant_scope):
            raise ProblemError(ErrorCode.IDENTITY_PROVIDER_NOT_FOUND, status=404)


def _out(config: IdentityProviderConfig, request: Request[Any, Any, Any]) -> IdentityProviderOut:
    return IdentityProviderOut(
        issuer=config.issuer,
        client_id=config.client_id,
        client_secret_set=bool(config.client_secret),
        scopes=config.scopes,
        roles_claim=config.roles_claim,
        role_mapping=config.role_mapping,
        email_domains=tuple(sorted({d.lower() for d in config.email_domains})),
        redirect_uri=redirect_uri(request),
    )
