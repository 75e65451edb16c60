"""Hook implementations: the "usb-bridge" signer type and the endpoints its agent calls."""

from __future__ import annotations

from typing import Any

from ebhxh.plugins import hookimpl
from ebhxh.signing.contract import SignerType
from ebhxh_signer_usb_bridge.server import BridgeController
from ebhxh_signer_usb_bridge.signer import UsbBridgeSigner


@hookimpl
def ebhxh_signer_types() -> list[SignerType]:
    """The USB-bridge signer type."""
    return [UsbBridgeSigner()]


@hookimpl
def ebhxh_route_handlers() -> list[Any]:
    """The agent's long poll and answers."""
    return [BridgeController]
