"""`ebhxh migrate`: apply the database migrations, or (`--check`, `--wait`) only tell
whether the schema is current: app pods wait on it before starting (the Helm chart runs
`ebhxh migrate --wait` as their init container while the migration hook applies them).
"""

from __future__ import annotations

import asyncio
import time

import click

from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.db.migrate import grant_app_role, migrate_forwards, pending_migrations
from ebhxh.settings import Settings

POLL_SECONDS = 2.0


async def _pending(settings: Settings) -> list[str]:
    return await with_database(settings, pending_migrations())


async def _wait_until_current(settings: Settings, seconds: float) -> list[str] | None:
    """Poll until nothing is pending (returns []) or `seconds` pass (returns what is
    pending, or None when the database never answered).
    """
    deadline = time.monotonic() + seconds
    pending: list[str] | None = None
    while True:
        try:
            pending = await _pending(settings)
        except Exception as exc:  # noqa: BLE001 - the database may still be starting
            click.echo(f"database not reachable yet ({type(exc).__name__})")
        else:
            if not pending:
                return []
        if time.monotonic() >= deadline:
            return pending
        await asyncio.sleep(POLL_SECONDS)


@click.command()
@click.option("--check", is_flag=True, help="Apply nothing; exit 1 if a migration is pending.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.IntRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Apply nothing; wait up to SECONDS until no migration is pending (else exit 1).",
)
def migrate(check: bool, wait_seconds: int | None) -> None:
    """Apply every migration not yet applied to the configured database."""
    settings = load_settings()
    target = "embedded SQLite" if settings.embedded else "PostgreSQL"
    if check or wait_seconds is not None:
        pending = run(_wait_until_current(settings, wait_seconds or 0))
        if pending is None:
            raise click.ClickException(f"The {target} database did not answer.")
        if pending:
            raise click.ClickException(
                f"{len(pending)} migration(s) not applied: {', '.join(pending)}"
            )
        click.echo(f"The {target} schema is current.")
        return
    click.echo(f"Migrating {target}")
    if not run(migrate_forwards()):
        raise click.ClickException("Migrations failed; see the messages above.")
    granted = run(grant_app_role(settings))
    if granted:
        click.echo(f"Granted row access to the app role {granted}")
