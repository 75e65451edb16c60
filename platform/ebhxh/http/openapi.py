"""The OpenAPI document and its docs page (Swagger UI served from the installed package,
so the page works without reaching a CDN).
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from ebhxh import __version__
from ebhxh.errors.problem import PROBLEM_MEDIA_TYPE, ProblemDetail

ASSETS = "/static/swagger-ui"

DESCRIPTION = """
The eBHXH API. Every route but the probes needs `Authorization: Bearer <token>`: press
**Authorize** and paste the token `ebhxh tenants create` printed (or the one `ebhxh serve`
printed for its demo tenant). Errors are RFC 9457 problem details with a stable `code`;
send `Accept-Language: en` for English messages (Vietnamese by default).
"""


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="eBHXH API",
        version=__version__,
        description=DESCRIPTION,
        path="/docs",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{ASSETS}/swagger-ui-bundle.js",
                css_url=f"{ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            )
        ],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http", scheme="bearer", description="An eBHXH API token."
                )
            }
        ),
        security=[{"BearerToken": []}],
        tags=[
            Tag(name="Organisation", description="Seed step 3.1: the organisation tree."),
            Tag(name="Units", description="Seed step 3.2: declaring insurance units."),
            Tag(name="Signing", description="Seed step 3.3: signature setup and signing forms."),
            Tag(name="Dossiers", description="Seed steps 3.4-3.5: dossiers with VSS."),
            Tag(name="Operations", description="Probes for operators."),
        ],
    )


PROBLEM_RESPONSE = ResponseSpec(
    data_container=ProblemDetail,
    generate_examples=False,
    description="An error: an RFC 9457 problem detail with a stable `code`.",
    media_type=PROBLEM_MEDIA_TYPE,
)


def document_problems(app: Litestar) -> None:
    """Document every operation's errors as what they are: problem details.

    Litestar documents a 400 with its own validation-error shape, which our exception
    handlers never send; this replaces it and adds `default` (any other error status) with
    the problem-detail schema. Runs before the document is first built.
    """
    problems = cast(Any, {400: PROBLEM_RESPONSE, "default": PROBLEM_RESPONSE})
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                handler.responses = {**problems, **(handler.responses or {})}


def swagger_assets() -> Router:
    return create_static_files_router(
        path=ASSETS,
        directories=[swagger_ui_path],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )
