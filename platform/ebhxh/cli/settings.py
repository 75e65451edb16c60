"""`ebhxh settings`: every setting, its environment variable, default and meaning."""

from __future__ import annotations

import click

from ebhxh.settings import describe


@click.command()
def settings() -> None:
    """Print the settings the platform reads from the environment."""
    for variable, default, description in describe():
        click.echo(f"{variable}  (default: {default or 'unset'})\n    {description}")
