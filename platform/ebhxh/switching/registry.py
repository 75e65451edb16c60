"""Competing providers from the plugins, matched by the name VSS reports for a unit."""

from __future__ import annotations

from collections.abc import Iterable

from ebhxh.switching.contract import CompetingProvider
from ebhxh.text import fold


class ProviderConflict(RuntimeError):
    """Two distributions describe the same provider key or the same provider name."""


class ProviderRegistry:
    """Descriptors keyed by every folded name; one may be the generic fallback."""

    def __init__(self, descriptors: Iterable[tuple[str, CompetingProvider]]) -> None:
        self._owner: dict[str, str] = {}
        self._by_key: dict[str, CompetingProvider] = {}
        self._by_name: dict[str, CompetingProvider] = {}
        self._fallback: CompetingProvider | None = None
        for distribution, provider in descriptors:
            if provider.key in self._owner:
                raise ProviderConflict(
                    f"Competing provider {provider.key!r} is described by both "
                    f"{self._owner[provider.key]!r} and {distribution!r}."
                )
            self._owner[provider.key] = distribution
            self._by_key[provider.key] = provider
            if provider.fallback:
                self._fallback = provider
            for name in (provider.key, provider.display_name, *provider.names):
                folded = fold(name)
                other = self._by_name.get(folded)
                if other is not None and other.key != provider.key:
                    raise ProviderConflict(
                        f"The provider name {name!r} is claimed by {other.key!r} and "
                        f"{provider.key!r}."
                    )
                self._by_name[folded] = provider

    def match(self, reported_name: str) -> CompetingProvider | None:
        """The descriptor for a name as VSS reports it, else the fallback, else None."""
        return self._by_name.get(fold(reported_name), self._fallback)

    def by_key(self, key: str) -> CompetingProvider | None:
        """The descriptor recorded on a switch (None if its plugin is no longer loaded)."""
        return self._by_key.get(key)

    def all(self) -> list[CompetingProvider]:
        return sorted(self._by_key.values(), key=lambda provider: provider.key)

    def keys_of(self, distribution: str) -> list[str]:
        return sorted(key for key, owner in self._owner.items() if owner == distribution)
