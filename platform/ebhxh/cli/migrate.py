"""`ebhxh migrate`: apply the database migrations."""

from __future__ import annotations

import click

from ebhxh.cli.common import load_settings, run
from ebhxh.db.migrate import migrate_forwards


@click.command()
def migrate() -> None:
    """Apply every migration not yet applied to the configured database."""
    settings = load_settings()
    click.echo(f"Migrating {'embedded SQLite' if settings.embedded else 'PostgreSQL'}")
    if not run(migrate_forwards()):
        raise click.ClickException("Migrations failed; see the messages above.")
