"""Competing-provider plugins that are only data: a package that ships `provider.toml`.

A provider plugin usually has nothing to compute: its names, stop procedure, portal steps
and support contact are facts. Such a distribution's entry point names a
`ProviderFilePlugin` built from its package, and the facts live in the TOML file beside
it, where a partner edits them without touching code.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

import msgspec

from ebhxh.plugins import hookimpl
from ebhxh.switching.contract import CompetingProvider

FILE_NAME = "provider.toml"


def load_provider_toml(path: Traversable) -> CompetingProvider:
    """The descriptor in a `provider.toml` (fields as `CompetingProvider` names them)."""
    try:
        return msgspec.toml.decode(path.read_bytes(), type=CompetingProvider)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc


class ProviderFilePlugin:
    """The hook implementation of a package whose descriptor is its `provider.toml`."""

    def __init__(self, package: str) -> None:
        self.package = package

    @hookimpl
    def ebhxh_competing_providers(self) -> list[CompetingProvider]:
        """The package's one provider."""
        return [load_provider_toml(files(self.package).joinpath(FILE_NAME))]
