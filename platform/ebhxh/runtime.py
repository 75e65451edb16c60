"""Everything a running process needs, built once from the settings: the API and the
workers share it (database engine, plugins, signing facilities, the VSS gateway, the clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine

from ebhxh.auth.principal import Principal
from ebhxh.clock import Clock, SystemClock
from ebhxh.db.change_feed import ChangeFeed
from ebhxh.db.engine import bind_engine, build_engine
from ebhxh.db.read_cache import ReadCache
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.notifications import send
from ebhxh.dossiers.service import DossierService
from ebhxh.employees.sync import SyncRunner
from ebhxh.gateway.contract import VssGateway
from ebhxh.gateway.http import HttpVssGateway
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.plugins.manager import Plugins, load_plugins
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.signing.environment import SigningEnvironment
from ebhxh.signing.settlement import Settlements
from ebhxh.signing.trust import TrustStore
from ebhxh.units.cache import UnitListKey
from ebhxh.units.schemas import UnitList

Enqueue = Callable[[Any], Awaitable[None]]


class Runtime:
    """The process-wide parts of the platform."""

    def __init__(
        self,
        settings: Settings,
        *,
        plugins: Plugins | None = None,
        clock: Clock | None = None,
        gateway: VssGateway | None = None,
    ) -> None:
        self.settings = settings
        self.engine: Engine = build_engine(settings)  # type: ignore[type-arg]
        bind_engine(self.engine)
        self.catalogue = PluginCatalogue.build(plugins or load_plugins(settings.plugins_allow))
        self.clock = clock or SystemClock()
        self.signing = SigningEnvironment(
            trust=TrustStore.from_folder(
                Path(settings.trust_store_dir) if settings.trust_store_dir else None
            ),
            secrets=SecretBox.from_settings(settings),
            clock=self.clock,
        )
        self.gateway: VssGateway = gateway or HttpVssGateway(settings.gateway_url)
        self.signatures = Settlements(self.catalogue, self.signing, self.dossiers)
        """Where signer plugins settle their pending requests (`settle`, `pending`)."""
        ttl = settings.read_cache_seconds
        caching = bool(settings.database_url) and ttl > 0
        self.changes = ChangeFeed(settings.database_url or "") if caching else None
        """Committed changes of cached tables; the API starts it (`start`), workers need none."""
        self.principals: ReadCache[str, Principal] = ReadCache(
            listening=self._caching, ttl_seconds=ttl, max_entries=10_000
        )
        """API token hash -> its principal (`ebhxh.auth.tokens`)."""
        self.unit_lists: ReadCache[UnitListKey, UnitList] = ReadCache(
            listening=self._caching, ttl_seconds=ttl, max_entries=2_000
        )
        """A tenant's unit list as one language on one day sees it (`ebhxh.units.service`)."""

    def _caching(self) -> bool:
        return self.changes is not None and self.changes.listening

    async def aclose(self) -> None:
        """Release what the runtime holds open (the gateway's connections)."""
        close = getattr(self.gateway, "aclose", None)
        if close is not None:
            await close()

    async def send_mail(self, message: EmailMessage) -> None:
        """Deliver a notification through the configured SMTP server."""
        await send(message, self.settings.smtp_host, self.settings.smtp_port)

    def dossiers(self, scope: TenantScope, enqueue: Enqueue | None = None) -> DossierService:
        """The dossier service for a tenant, enqueueing outbox work with `enqueue` (without
        one, the reconciliation cron picks the work up).
        """
        service = DossierService(
            scope,
            catalogue=self.catalogue,
            signing=self.signing,
            gateway=self.gateway,
            send_mail=self.send_mail,
        )
        if enqueue is not None:
            service.enqueue = enqueue
        return service

    def employee_syncs(self, scope: TenantScope) -> SyncRunner:
        """The runner of a tenant's employee syncs, with the configured page size and lease."""
        return SyncRunner(
            scope,
            self.gateway,
            self.clock,
            lease=dt.timedelta(seconds=self.settings.employee_sync_lease_seconds),
            page_size=self.settings.employee_page_size,
        )
