"""`ebhxh csc-sandbox ...`: run the remote-signing (CSC API v2) sandbox and act as the
signer on it: list the authorizations waiting for approval, approve or refuse one, set
faults, add users.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import httpx
import msgspec
import uvicorn

from ebhxh.cli.common import load_settings
from ebhxh.csc_sandbox.app import create_csc_sandbox_app
from ebhxh.csc_sandbox.model import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Faults, SandboxState

URL_OPTION = click.option(
    "--url",
    envvar="CSC_SANDBOX_URL",
    default="http://127.0.0.1:8200",
    show_default=True,
    help="Where the CSC sandbox runs (or CSC_SANDBOX_URL).",
)


@click.group("csc-sandbox")
def csc_sandbox() -> None:
    """The remote-signing sandbox: a CSC API v2 service with its own test CA and users."""


@csc_sandbox.command("serve")
@click.option("--port", type=int, default=8200, help="Port of the sandbox (default 8200).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where its CA and users are kept (default: <EBHXH data dir>/csc-sandbox).",
)
def serve_csc_sandbox(port: int, data_dir: Path | None) -> None:
    """Run the sandbox; trust its CA (ca.pem in the data folder) in EBHXH_TRUST_STORE_DIR."""
    settings = load_settings()
    folder = data_dir or settings.data_path / "csc-sandbox"
    state = SandboxState.kept_in(folder)
    click.echo(f"CSC sandbox on http://{settings.host}:{port}/csc/v2")
    click.echo(f"  CA certificate to trust: {folder / 'ca.pem'}")
    click.echo(f"  client_id={DEFAULT_CLIENT_ID} client_secret={DEFAULT_CLIENT_SECRET}")
    users = sorted({c.user_id for c in state.credentials.values()})
    click.echo(f"  users: {', '.join(users)}")
    app = create_csc_sandbox_app(state)
    uvicorn.run(app, host=settings.host, port=port, log_config=None, access_log=False)


def _call(url: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{url.rstrip('/')}{path}", json=body, timeout=10)
    if response.status_code >= 400:
        raise click.ClickException(response.text)
    return response.json()


@csc_sandbox.command()
@URL_OPTION
def pending(url: str) -> None:
    """The authorizations waiting for the signer's approval."""
    waiting = _call(url, "GET", "/sandbox/transactions")
    if not waiting:
        click.echo("Không có yêu cầu nào chờ phê duyệt / nothing waits for approval.")
    for item in waiting:
        click.echo(f"{item['id']}  {item['credential_id']}  {item['description']}")


@csc_sandbox.command()
@URL_OPTION
@click.argument("transaction_id")
def approve(url: str, transaction_id: str) -> None:
    """As the signer, on the phone: approve an authorization (a SAD is issued)."""
    click.echo(_call(url, "POST", f"/sandbox/transactions/{transaction_id}/approve")["status"])


@csc_sandbox.command()
@URL_OPTION
@click.argument("transaction_id")
def refuse(url: str, transaction_id: str) -> None:
    """As the signer, on the phone: refuse an authorization."""
    click.echo(_call(url, "POST", f"/sandbox/transactions/{transaction_id}/refuse")["status"])


@csc_sandbox.command()
@URL_OPTION
@click.option("--down/--up", default=False, help="Answer every CSC call 503.")
@click.option("--fail-next", type=int, default=0, help="Answer the next N calls 503.")
@click.option("--approval-seconds", type=int, default=300, help="Time to approve.")
@click.option("--sad-seconds", type=int, default=300, help="Real lifetime of a SAD.")
@click.option("--bind-wrong-hash", is_flag=True, help="Bind SADs to another hash.")
@click.option("--auto-approve", is_flag=True, help="Approve every authorization at once.")
def faults(
    url: str,
    down: bool,
    fail_next: int,
    approval_seconds: int,
    sad_seconds: int,
    bind_wrong_hash: bool,
    auto_approve: bool,
) -> None:
    """Set how the sandbox misbehaves (every option not given goes back to normal)."""
    plan = Faults(
        down=down,
        fail_next=fail_next,
        approval_seconds=approval_seconds,
        sad_seconds=sad_seconds,
        bind_wrong_hash=bind_wrong_hash,
        auto_approve=auto_approve,
    )
    click.echo(_call(url, "PUT", "/sandbox/faults", msgspec.to_builtins(plan)))


@csc_sandbox.command("add-user")
@URL_OPTION
@click.argument("user_id")
@click.option("--name", "common_name", required=True, help="Subject common name.")
@click.option("--tax-code", default=None, help="An organisation's tax code (UID=MST:...).")
@click.option("--citizen-id", default=None, help="A person's citizen id (UID=CCCD:...).")
def add_user(
    url: str, user_id: str, common_name: str, tax_code: str | None, citizen_id: str | None
) -> None:
    """Give USER_ID a new credential with a certificate from the sandbox's CA."""
    if bool(tax_code) == bool(citizen_id):
        raise click.UsageError("give exactly one of --tax-code and --citizen-id")
    uid = f"MST:{tax_code}" if tax_code else f"CCCD:{citizen_id}"
    body = {"user_id": user_id, "common_name": common_name, "uid": uid}
    click.echo(_call(url, "POST", "/sandbox/users", body)["credential_id"])
