"""The "usb-bridge" signer type: settings name a paired device (`device_id`); the device's
agent reports the token's certificates and signs when asked.

`request_signature` checks that the device can sign with the registered certificate (a
renewed token is explained at once, not at submission), assigns the request to the device
(the signer state) and answers pending; the agent's value then reaches the signing core
through `Runtime.signatures.settle` (see `ebhxh_signer_usb_bridge.server`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.devices.service import DeviceService, device_certificates
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing.certificates import summarise
from ebhxh.signing.contract import (
    SIGNING_TENANT,
    SignatureOutcome,
    SignaturePending,
    SignatureRequest,
    SignerFailure,
)
from ebhxh.signing.renewal import certificate_change

NAME = "usb-bridge"


def waiting_for(device_name: str) -> str:
    return f"chờ token USB trên {device_name} / waiting for the USB token on {device_name}"


async def _device(tenant_id: uuid.UUID | None, settings: Mapping[str, str]) -> dict[str, Any]:
    """The paired device the settings name, in the caller's tenant; revoked is refused."""
    raw = settings.get("device_id", "")
    try:
        device_id = uuid.UUID(raw)
    except ValueError as exc:
        raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="device_id: a device's id") from exc
    if tenant_id is None:
        raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="no tenant for the device")
    try:
        row = await DeviceService(TenantScope(tenant_id)).row(device_id)
    except ProblemError as missing:
        raise SignerFailure(ErrorCode.DEVICE_NOT_FOUND) from missing
    if row["revoked_at"] is not None:
        raise SignerFailure(ErrorCode.DEVICE_CREDENTIAL_INVALID)
    return row


class UsbBridgeSigner:
    """Signs with a USB token on a user's PC, through its paired `ebhxh-bridge` agent."""

    name = NAME
    label = "Token USB trên máy tính, qua chương trình ký ebhxh-bridge"
    secret_names: tuple[str, ...] = ()

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        row = await _device(SIGNING_TENANT.get(), settings)
        if row["certificates_at"] is None:
            raise SignerFailure(
                ErrorCode.SIGNER_UNAVAILABLE,
                reason=f"{row['name']} has not reported its token yet: run `ebhxh-bridge run`",
            )
        return device_certificates(row)

    async def reported_certificates(self, settings: Mapping[str, str]) -> Sequence[bytes] | None:
        try:
            row = await _device(SIGNING_TENANT.get(), settings)
        except SignerFailure:
            return None
        return device_certificates(row) if row["certificates_at"] is not None else None

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        row = await _device(uuid.UUID(request.tenant_id), request.settings)
        reported = device_certificates(row)
        if row["certificates_at"] is not None and request.certificate_der not in reported:
            registered = summarise(request.certificate_der)
            change = certificate_change(
                request.certificate_der, reported, next(iter(registered.tax_codes), "")
            )
            if change is not None:
                raise SignerFailure(
                    ErrorCode.CERT_CHANGED_ON_TOKEN, value=registered.serial, new=change.new.serial
                )
            raise SignerFailure(ErrorCode.USB_KEY_MISSING)
        return SignaturePending(
            waiting_for=waiting_for(row["name"]), state={"device_id": str(row["id"])}
        )
