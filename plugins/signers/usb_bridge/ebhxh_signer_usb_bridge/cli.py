"""`ebhxh-bridge`: the USB-token agent's command line (`pair`, then `run`)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click

from ebhxh.signing import pkcs11 as p11
from ebhxh_signer_usb_bridge import agent

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The device file (default: ~/.config/ebhxh-bridge/device.json, mode 0600).",
)


@click.group()
def main() -> None:
    """Sign eBHXH dossiers with the USB token on this PC."""


@main.command()
@click.option("--url", required=True, help="The platform's address, e.g. https://ebhxh.example")
@click.option("--code", required=True, help="The pairing code shown on the platform.")
@click.option("--name", default=None, help="A name for this PC (default: its host name).")
@CONFIG_OPTION
def pair(url: str, code: str, name: str | None, config_path: Path | None) -> None:
    """Pair this PC with your account using a one-time code."""
    path = config_path or agent.default_config_path()
    try:
        config = agent.pair(url, code, name or socket.gethostname(), path)
    except (agent.AgentStopped, RuntimeError) as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"Đã ghép nối / paired: {config.name} (device {config.device_id}); {path}")


def _ask_pin() -> str:
    """The PIN, typed here and hidden; empty (or the input closed) declines."""
    try:
        return str(
            click.prompt(
                "Mã PIN của token (để trống để từ chối) / token PIN (empty declines)",
                hide_input=True,
                default="",
                show_default=False,
            )
        )
    except click.Abort:
        return ""


@main.command()
@click.option(
    "--module",
    "module_path",
    default=p11.DEFAULT_MODULE,
    show_default=True,
    help="The token's PKCS#11 driver (each CA's token has its own).",
)
@click.option("--token-label", default="", help="Choose the token by label.")
@click.option("--token-serial", default="", help="Choose the token by serial number.")
@click.option(
    "--max-wrong-pins",
    default=3,
    show_default=True,
    type=click.IntRange(1, 10),
    help="Stop asking for the PIN after this many wrong ones in a row.",
)
@click.option("--wait", default=25, show_default=True, type=click.IntRange(0, 30))
@click.option("--max-requests", default=None, type=int, help="Exit after this many requests.")
@CONFIG_OPTION
def run(
    module_path: str,
    token_label: str,
    token_serial: str,
    max_wrong_pins: int,
    wait: int,
    max_requests: int | None,
    config_path: Path | None,
) -> None:
    """Report the token's certificates, then sign the requests for this PC."""
    if not token_label and not token_serial:
        raise click.UsageError("choose the token with --token-label or --token-serial")
    config = agent.load_config(config_path or agent.default_config_path())
    worker = agent.Agent(
        config,
        p11.TokenRef(module_path, label=token_label, serial=token_serial),
        ask_pin=_ask_pin,
        say=click.echo,
        max_wrong_pins=max_wrong_pins,
    )
    try:
        worker.run(wait=wait, max_requests=max_requests)
    except agent.AgentStopped as refused:
        click.echo(f"Nền tảng từ chối thiết bị / the platform refused this device: {refused}")
        sys.exit(3)
    finally:
        worker.close()
