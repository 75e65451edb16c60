"""The `ebhxh` command group; each sub-command lives in its own module."""

from __future__ import annotations

import click

from ebhxh import __version__
from ebhxh.cli.common import load_settings
from ebhxh.cli.csc_sandbox import csc_sandbox
from ebhxh.cli.demo import demo
from ebhxh.cli.employees import employees
from ebhxh.cli.migrate import migrate
from ebhxh.cli.operators import operators
from ebhxh.cli.plugins import plugins
from ebhxh.cli.sandbox import sandbox
from ebhxh.cli.secrets import secrets
from ebhxh.cli.serve import serve
from ebhxh.cli.settings import settings
from ebhxh.cli.tenants import tenants
from ebhxh.cli.worker import worker
from ebhxh.observability.logging import configure_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ebhxh")
def main() -> None:
    """eBHXH: from "we have a company" to "we file social insurance electronically"."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json, file=settings.log_file)


for command in (
    serve,
    worker,
    migrate,
    secrets,
    plugins,
    tenants,
    operators,
    settings,
    sandbox,
    csc_sandbox,
    demo,
    employees,
):
    main.add_command(command)
