"""Load plugins from the `ebhxh` entry-point group into a pluggy manager.

Built-in plugins and partners' load the same way: each is a distribution whose entry point
names a module of hook implementations. `EBHXH_PLUGINS_ALLOW` restricts loading to the
distributions it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import msgspec
import pluggy
import structlog

from ebhxh.plugins import ENTRY_POINT_GROUP, PROJECT_NAME, hookspecs

log = structlog.get_logger(__name__)


class LoadedPlugin(msgspec.Struct, frozen=True):
    """A plugin that was registered: its entry point and the distribution it came from."""

    name: str
    distribution: str
    version: str
    module: str


class PluginLoadError(RuntimeError):
    """An allowed plugin could not be imported or registered."""


class Plugins:
    """The pluggy manager and the record of which distribution gave which plugin."""

    def __init__(self, manager: pluggy.PluginManager, loaded: Sequence[LoadedPlugin]) -> None:
        self.manager = manager
        self.loaded = tuple(loaded)
        self._distribution_of = {plugin.name: plugin.distribution for plugin in loaded}

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def distribution_of(self, plugin_name: str) -> str:
        """The distribution a registered plugin came from (its name for in-process ones)."""
        return self._distribution_of.get(plugin_name, plugin_name)

    def collect_per_plugin(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call a collect-all hook plugin by plugin: (distribution, item) for every item."""
        caller = getattr(self.manager.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for impl in caller.get_hookimpls():  # registration order
            for item in impl.function() or ():
                results.append((self.distribution_of(impl.plugin_name), item))
        return results


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(
    allow: Iterable[str] = (),
    extra: Iterable[tuple[str, object]] = (),
    discovered: Iterable[EntryPoint] | None = None,
) -> Plugins:
    """Register every allowed entry point of the `ebhxh` group, then `extra` (name, module).

    `allow` empty means every installed plugin. `extra` registers in-process plugins (tests,
    embedding) under the given name without an entry point.
    """
    allowed = {_normalise(name) for name in allow}
    manager = new_manager()
    loaded: list[LoadedPlugin] = []
    points = entry_points(group=ENTRY_POINT_GROUP) if discovered is None else discovered
    for point in sorted(points, key=lambda p: p.name):
        dist_name = point.dist.name if point.dist else point.name
        version = point.dist.version if point.dist else "0"
        if allowed and _normalise(dist_name) not in allowed:
            log.info("plugin_skipped", plugin=point.name, distribution=dist_name)
            continue
        try:
            module = point.load()
            manager.register(module, name=point.name)
        except Exception as exc:
            raise PluginLoadError(
                f"Plugin {point.name!r} from {dist_name} {version} failed to load: {exc}"
            ) from exc
        loaded.append(LoadedPlugin(point.name, dist_name, version, point.value))
    for name, module in extra:
        manager.register(module, name=name)
        loaded.append(LoadedPlugin(name, name, "0", getattr(module, "__name__", name)))
    return Plugins(manager, loaded)


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")
