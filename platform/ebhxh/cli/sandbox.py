"""`ebhxh sandbox ...`: run the VSS sandbox, read its caught mail, decide as its officer."""

from __future__ import annotations

from pathlib import Path

import click
import httpx
import msgspec
import uvicorn

from ebhxh.app import sandbox_settings
from ebhxh.cli.common import load_settings
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.inbox import read_inbox
from ebhxh.vss_sandbox.settings import AutoDecision

MAIL_FOLDER = "mail"


@click.group()
def sandbox() -> None:
    """The VSS sandbox: a stand-in for Vietnam Social Security."""


@sandbox.command("serve")
@click.option("--port", type=int, default=8100, help="Port of the sandbox (default 8100).")
@click.option(
    "--auto-decision",
    type=click.Choice([d.value for d in AutoDecision]),
    default=AutoDecision.NONE.value,
    help="Let the officer approve or reject every activated dossier by itself (demos).",
)
def serve_sandbox(port: int, auto_decision: str) -> None:
    """Run the sandbox on its own (its SQLite file and mail settings from EBHXH_*)."""
    settings = load_settings()
    config = sandbox_settings(settings)
    app = create_sandbox_app(
        msgspec.structs.replace(config, auto_decision=AutoDecision(auto_decision))
    )
    click.echo(f"VSS sandbox on http://{settings.host}:{port}")
    uvicorn.run(app, host=settings.host, port=port, log_config=None, access_log=False)


@sandbox.command()
@click.option("--last", type=int, default=5, help="How many of the newest messages.")
def inbox(last: int) -> None:
    """Print the mail the embedded SMTP catcher received (activation codes)."""
    settings = load_settings()
    messages = read_inbox(mail_folder(settings.data_path))
    if not messages:
        click.echo("Hộp thư trống / the inbox is empty.")
    for message in messages[-last:]:
        click.echo(f"--- To: {message['To']}  Subject: {message['Subject']}")
        click.echo(message.get_content())


def _officer(action: str, receipt_id: str, body: dict[str, str] | None = None) -> None:
    settings = load_settings()
    url = f"{settings.gateway_url}/officer/dossiers/{receipt_id}/{action}"
    response = httpx.post(url, json=body, timeout=10)
    if response.status_code >= 400:
        raise click.ClickException(response.text)
    click.echo(response.text)


@sandbox.command()
@click.argument("receipt_id")
def approve(receipt_id: str) -> None:
    """As the officer: approve an activated dossier (a unit code is issued)."""
    _officer("approve", receipt_id)


@sandbox.command()
@click.argument("receipt_id")
@click.option("--reason", required=True, help="Why, in Vietnamese.")
def reject(receipt_id: str, reason: str) -> None:
    """As the officer: reject an activated dossier with a reason."""
    _officer("reject", receipt_id, {"reason": reason})


def mail_folder(data_path: Path) -> Path:
    return data_path / MAIL_FOLDER
