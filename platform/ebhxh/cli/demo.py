"""`ebhxh demo`: a guided tour from a new tenant to a unit with the service active."""

from __future__ import annotations

import click

from ebhxh.cli.common import load_settings
from ebhxh.demo.tour import Tour, TourFailed


@click.command()
def demo() -> None:
    """Run the whole flow on the embedded default (in <data dir>/demo), printing each step."""
    settings = load_settings()
    try:
        unit_code = Tour(settings.data_path / "demo", click.echo).run()
    except TourFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"\nDemo hoàn tất / demo finished: unit {unit_code} is active.")
