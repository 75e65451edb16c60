"""`ebhxh secrets rotate`: re-encrypt stored secrets under the first key (key rotation)."""

from __future__ import annotations

import click
from cryptography.fernet import InvalidToken

from ebhxh.cli.common import load_settings, run, with_database
from ebhxh.secrets.box import SecretBox
from ebhxh.secrets.rotation import rotate_secrets


@click.group()
def secrets() -> None:
    """Secrets at rest (EBHXH_SECRET_KEYS)."""


@secrets.command()
def rotate() -> None:
    """Re-encrypt every stored secret with the first key of EBHXH_SECRET_KEYS.

    Put the new key first, keep the old ones after it, run this, then remove the old keys.
    """
    settings = load_settings()
    if not settings.secret_keys and not settings.embedded:
        raise click.ClickException("EBHXH_SECRET_KEYS is not set: there is no key to rotate to.")
    box = SecretBox.from_settings(settings)
    try:
        report = run(with_database(settings, rotate_secrets(box)))
    except InvalidToken as exc:
        raise click.ClickException(
            "A stored secret opens with none of the configured keys: keep the old key in "
            "EBHXH_SECRET_KEYS (after the new one) until the rotation has run."
        ) from exc
    click.echo(f"Re-encrypted {report.secrets} secret(s) of {report.tenants} tenant(s).")
