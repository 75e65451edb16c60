"""`ebhxh tenants ...`: create a tenant by hand, or reconcile tenants to their manifests."""

from __future__ import annotations

from pathlib import Path

import click

from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.tenancy.bootstrap import TenantBootstrapError, create_tenant
from ebhxh.tenant_manifests.reconcile import reconcile_folder


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


@tenants.command("apply")
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default="tenants"
)
@click.option("--dry-run", is_flag=True, help="Print the plan only; change nothing.")
def apply(folder: Path, dry_run: bool) -> None:
    """Reconcile tenants to the manifests (*.toml) in FOLDER: print the plan, then apply it.

    Idempotent: a second run finds every tenant unchanged. A manifest with an error is
    refused whole (file and field named) and the command exits 1; the others still apply.
    """
    settings = load_settings()
    work = reconcile_folder(folder, settings, dry_run=dry_run, echo=click.echo)
    if not run(with_database(settings, work)).ok:
        raise SystemExit(1)
