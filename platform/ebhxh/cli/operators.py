"""`ebhxh operators ...`: enrol, list and revoke the platform's support operators."""

from __future__ import annotations

import datetime as dt

import click

from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.operators.service import OperatorError, add_operator, list_operators, revoke_operator


@click.group()
def operators() -> None:
    """Manage platform operators (support staff)."""


@operators.command("add")
@click.option("--email", required=True, help="The operator's email.")
@click.option("--name", default=None, help="Their display name.")
def add(email: str, name: str | None) -> None:
    """Make someone an operator and print their operator token (once)."""
    try:
        _, token = run(with_database(load_settings(), add_operator(email, name)))
    except OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Operator {email} added. Operator token (shown once; store it now):")
    click.echo(token)


@operators.command("list")
def list_() -> None:
    """List operators."""
    for row in run(with_database(load_settings(), list_operators())):
        state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
        click.echo(f"{row['email']}\t{row['prefix']}…\t{state}")


@operators.command("revoke")
@click.option("--email", required=True, help="The operator's email.")
def revoke(email: str) -> None:
    """Revoke an operator's token and every support grant they hold."""
    now = dt.datetime.now(dt.UTC)
    if not run(with_database(load_settings(), revoke_operator(email, now))):
        raise click.ClickException(f"{email} is not an active operator.")
    click.echo(f"Operator {email} revoked.")
