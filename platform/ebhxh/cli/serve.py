"""`ebhxh serve`: the API and a worker in one process.

On the embedded default it also migrates the SQLite database and, the first time, creates
a demo tenant and prints its admin token, so a newcomer can use the docs page at once.
"""

from __future__ import annotations

import gc
import os

import click
import msgspec
import uvicorn

from ebhxh import dev_idp
from ebhxh.app import create_app
from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.cli.sandbox import mail_folder
from ebhxh.db.migrate import migrate_forwards
from ebhxh.dev_idp.users import DEV_PASSWORD
from ebhxh.settings import Settings
from ebhxh.tenancy.bootstrap import CreatedTenant, create_tenant, tenant_count
from ebhxh.tenant_manifests.reconcile import reconcile_folder
from ebhxh.vss_sandbox.inbox import MailCatcher

DEMO_SLUG = "demo"


async def _bootstrap_demo(settings: Settings) -> CreatedTenant | None:
    async def work() -> CreatedTenant | None:
        if await tenant_count() > 0:
            return None
        return await create_tenant(
            slug=DEMO_SLUG,
            name="Công ty Cổ phần Demo",
            admin_email="admin@demo.example",
            admin_name="Demo Admin",
        )

    return await with_database(settings, work())


@click.command()
@click.option("--host", default=None, help="Address to bind (default EBHXH_HOST).")
@click.option("--port", type=int, default=None, help="Port (default EBHXH_PORT).")
@click.option("--no-worker", is_flag=True, help="Serve the API only.")
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Apply migrations first (default: on for the embedded database).",
)
def serve(host: str | None, port: int | None, no_worker: bool, migrate: bool | None) -> None:
    """Run the API (and a worker) until interrupted."""
    settings = load_settings()
    should_migrate = settings.embedded if migrate is None else migrate
    if should_migrate and not run(migrate_forwards()):
        raise click.ClickException("Migrations failed; see the messages above.")
    if settings.should_bootstrap_demo_tenant:
        created = run(_bootstrap_demo(settings))
        if created is not None:
            click.echo(
                f"\nDemo tenant '{created.slug}' created. Its admin API token (shown once):\n"
                f"    {created.token}\n"
                "Open the docs page, press Authorize and paste it.\n"
            )
    bind_host = host or settings.host
    bind_port = port or settings.port
    settings = msgspec.structs.replace(settings, host=bind_host, port=bind_port)
    if settings.dev_idp_enabled:
        # What the demo manifest reads: where the development provider is, and its secret.
        os.environ.setdefault("EBHXH_DEV_IDP_ISSUER", dev_idp.issuer(settings))
        secret = dev_idp.client_secret_path(settings).read_text(encoding="utf-8").strip()
        os.environ.setdefault("EBHXH_DEV_IDP_CLIENT_SECRET", secret)
    folder = settings.manifests_at_start
    if folder is not None:  # a broken manifest is reported; it does not stop the service
        click.echo(f"Tenant manifests in {folder}/:")
        applying = reconcile_folder(folder, settings, dry_run=False, echo=click.echo)
        run(with_database(settings, applying))
    click.echo(f"eBHXH on http://{bind_host}:{bind_port}  (docs: /docs)")
    if settings.dev_idp_enabled:
        click.echo(
            f"Development sign-in (demo users, password '{DEV_PASSWORD}'; never in "
            f"production): {dev_idp.issuer(settings)}"
        )
    app = create_app(settings, with_worker=not no_worker, configure_logs=False)
    catcher = None
    if settings.vss_url is None:  # the mounted sandbox mails through our own catcher
        catcher = MailCatcher(
            mail_folder(settings.data_path), settings.smtp_host, settings.smtp_port
        )
        try:
            catcher.start()
            click.echo("Caught mail (activation codes): `ebhxh sandbox inbox`")
        except (OSError, RuntimeError) as exc:
            click.echo(f"Note: SMTP port {settings.smtp_port} is busy ({exc}); mail goes there.")
            catcher = None
    # Everything built so far (modules, plugins, the app) lives as long as the process: out
    # of the collector's sight, a full collection no longer walks it, which had paused
    # requests for hundreds of milliseconds (`bench.unit_list`'s p99).
    gc.collect()
    gc.freeze()
    try:
        # On SIGTERM uvicorn stops accepting, lets requests in flight finish (up to the
        # grace period), then runs the app's shutdown (which stops the in-process worker).
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        )
    finally:
        if catcher is not None:
            catcher.stop()
