"""Hook implementations: the "hsm" signer type."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pkcs11.exceptions import PKCS11Error

from ebhxh.errors import ErrorCode
from ebhxh.plugins import hookimpl
from ebhxh.signing.contract import (
    SignatureOutcome,
    SignatureRequest,
    SignatureValue,
    SignerFailure,
    SignerType,
)
from ebhxh_signer_hsm import token

T = TypeVar("T")


class HsmSigner:
    """Signs at once with a key held in an HSM (PKCS#11)."""

    name = "hsm"
    label = "HSM của doanh nghiệp (PKCS#11)"
    secret_names: tuple[str, ...] = ("pin",)

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        return await _guarded(token.list_certificates, settings, secrets.get("pin"))

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        pin = request.secrets.get("pin")
        if not pin:
            raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="the HSM PIN is not set")
        value = await _guarded(
            token.sign, request.settings, pin, request.certificate_der, request.to_be_signed
        )
        return SignatureValue(value)


async def _guarded(call: Callable[..., T], *args: Any) -> T:
    """Run a blocking PKCS#11 call in a thread; a device error is a `SignerFailure`."""
    try:
        return await asyncio.to_thread(call, *args)
    except SignerFailure:
        raise
    except PKCS11Error as exc:
        raise SignerFailure(
            ErrorCode.SIGNER_UNAVAILABLE, reason=f"PKCS#11: {type(exc).__name__}"
        ) from exc


@hookimpl
def ebhxh_signer_types() -> list[SignerType]:
    """The HSM signer type."""
    return [HsmSigner()]
