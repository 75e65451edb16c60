"""Everything the loaded plugins contribute, gathered and checked once at start-up.

`PluginCatalogue.build` calls each collect-all hook plugin by plugin, so a conflict (a
province claimed twice, two signer types with one name) names both distributions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from ebhxh.events.model import LifecycleEvent
from ebhxh.plugins.manager import Plugins
from ebhxh.provinces.model import Province, Route, UnitCheck
from ebhxh.provinces.registry import ProvinceRegistry
from ebhxh.signing.contract import SignerType
from ebhxh.switching.registry import ProviderRegistry

log = structlog.get_logger(__name__)


class PluginConflict(RuntimeError):
    """Two plugins contribute the same thing; the platform must not start."""


class PluginCatalogue:
    """Provinces, signer types and competing providers from the loaded plugins."""

    def __init__(
        self,
        plugins: Plugins,
        provinces: ProvinceRegistry,
        signer_types: dict[str, tuple[str, SignerType]],
        providers: ProviderRegistry,
    ) -> None:
        self.plugins = plugins
        self.provinces = provinces
        self._signer_types = signer_types
        self.providers = providers

    @classmethod
    def build(cls, plugins: Plugins) -> PluginCatalogue:
        provinces = ProvinceRegistry(plugins.collect_per_plugin("ebhxh_province_rules"))
        signer_types: dict[str, tuple[str, SignerType]] = {}
        for distribution, signer in plugins.collect_per_plugin("ebhxh_signer_types"):
            if signer.name in signer_types:
                raise PluginConflict(
                    f"Signer type {signer.name!r} is provided by both "
                    f"{signer_types[signer.name][0]!r} and {distribution!r}."
                )
            signer_types[signer.name] = (distribution, signer)
        providers = ProviderRegistry(plugins.collect_per_plugin("ebhxh_competing_providers"))
        return cls(plugins, provinces, signer_types, providers)

    def check_unit(
        self, province: Province, route: Route, particulars: Mapping[str, str]
    ) -> list[UnitCheck]:
        """Every province plugin's objections to a unit (the plugins decide which apply)."""
        results = self.plugins.hook.ebhxh_check_unit(
            province=province, route=route, particulars=dict(particulars)
        )
        return [check for checks in results for check in checks or ()]

    def route_handlers(self) -> list[Any]:
        """Every plugin's route handlers and controllers (hook `ebhxh_route_handlers`)."""
        return [handler for _, handler in self.plugins.collect_per_plugin("ebhxh_route_handlers")]

    def worker_jobs(self) -> tuple[list[Any], list[Any]]:
        """Every plugin's (job functions, crons) for the worker (hook `ebhxh_worker_jobs`)."""
        functions: list[Any] = []
        crons: list[Any] = []
        for _, jobs in self.plugins.collect_per_plugin("ebhxh_worker_jobs"):
            functions.extend(jobs.functions)
            crons.extend(jobs.cron_jobs)
        return functions, crons

    def signer_type(self, name: str) -> SignerType | None:
        entry = self._signer_types.get(name)
        return entry[1] if entry else None

    def signer_type_distribution(self, name: str) -> str | None:
        """The distribution that contributes signer type `name`."""
        entry = self._signer_types.get(name)
        return entry[0] if entry else None

    def signer_type_names(self) -> list[str]:
        return sorted(self._signer_types)

    def contributions_of(self, distribution: str) -> dict[str, list[str]]:
        """What one distribution contributes, by family, for `ebhxh plugins`."""
        return {
            "provinces": [
                f"{rule.province.code} {rule.province.name} ({rule.route})"
                for rule in self.provinces.rules()
                if self.provinces.claimed_by(rule.province.code) == distribution
            ],
            "signer_types": [
                name
                for name, (owner, _) in sorted(self._signer_types.items())
                if owner == distribution
            ],
            "competing_providers": self.providers.keys_of(distribution),
        }

    def announce(self, event: LifecycleEvent) -> None:
        """Tell every plugin about `event`; a failing plugin is logged, never raised."""
        caller = self.plugins.hook.ebhxh_lifecycle_event
        for impl in caller.get_hookimpls():
            try:
                # pluggy lets an implementation take fewer arguments than the spec.
                impl.function(**{name: event for name in impl.argnames if name == "event"})
            except Exception:
                log.exception(
                    "plugin_event_failed",
                    plugin=impl.plugin_name,
                    event_kind=type(event).__name__,
                )
