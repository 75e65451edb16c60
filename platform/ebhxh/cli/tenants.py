"""`ebhxh tenants ...`: manage tenants."""

from __future__ import annotations

import click

from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.tenancy.bootstrap import TenantBootstrapError, create_tenant


@click.group()
def tenants() -> None:
    """Manage tenants."""


@tenants.command("create")
@click.option("--slug", required=True, help="Short lower-case id, e.g. 'acme'.")
@click.option("--name", required=True, help="The company's name.")
@click.option("--admin-email", required=True, help="The first administrator's email.")
@click.option("--admin-name", default=None, help="The administrator's display name.")
def create(slug: str, name: str, admin_email: str, admin_name: str | None) -> None:
    """Create a tenant with an admin and print the admin's first API token (once)."""
    settings = load_settings()
    try:
        created = run(
            with_database(
                settings,
                create_tenant(
                    slug=slug,
                    name=name,
                    admin_email=admin_email,
                    admin_name=admin_name,
                ),
            )
        )
    except TenantBootstrapError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Tenant {created.slug} created ({created.tenant_id}).")
    click.echo("Admin API token (shown once; store it now):")
    click.echo(created.token)
