"""Dependencies every controller may ask for by name: principal, scope, language, plugins,
the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request
from litestar.di import Provide

from ebhxh.auth.guards import current_principal
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.errors.messages import Language, negotiate
from ebhxh.plugins.catalogue import PluginCatalogue


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


def provide_scope(request: Request[Any, Any, Any]) -> TenantScope:
    return current_principal(request).scope


def provide_language(request: Request[Any, Any, Any]) -> Language:
    return negotiate(request.headers.get("accept-language"))


def provide_now(request: Request[Any, Any, Any]) -> dt.datetime:
    """The time of the request on the app's clock (tests run the app on a fixed one)."""
    now: dt.datetime = request.app.state.clock.now()
    return now


def provide_catalogue(request: Request[Any, Any, Any]) -> PluginCatalogue:
    catalogue: PluginCatalogue = request.app.state.catalogue
    return catalogue


DEPENDENCIES = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "tenant_scope": Provide(provide_scope, sync_to_thread=False),
    "language": Provide(provide_language, sync_to_thread=False),
    "catalogue": Provide(provide_catalogue, sync_to_thread=False),
    "now": Provide(provide_now, sync_to_thread=False),
}
