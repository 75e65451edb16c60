"""`ebhxh plugins`: what loaded, from which distribution, contributing what."""

from __future__ import annotations

import click

from ebhxh.cli.common import load_settings
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.plugins.manager import load_plugins


@click.command()
def plugins() -> None:
    """List the loaded plugins with distribution name, version and contributions."""
    settings = load_settings()
    catalogue = PluginCatalogue.build(load_plugins(settings.plugins_allow))
    loaded = catalogue.plugins.loaded
    if not loaded:
        click.echo("No plugins loaded.")
        return
    for plugin in loaded:
        click.echo(f"{plugin.distribution} {plugin.version}  (entry point {plugin.name})")
        for family, items in catalogue.contributions_of(plugin.distribution).items():
            if items:
                click.echo(f"  {family}: {len(items)}")
                for item in items:
                    click.echo(f"    {item}")
