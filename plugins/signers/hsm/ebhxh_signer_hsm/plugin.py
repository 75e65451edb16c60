"""Hook implementations: the "hsm" signer type."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

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


class HsmSigner:
    """Signs at once with a key held in an HSM (PKCS#11)."""

    name = "hsm"
    label = "HSM của doanh nghiệp (PKCS#11)"
    secret_names: tuple[str, ...] = ("pin",)

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        return await asyncio.to_thread(token.list_certificates, settings)

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        pin = request.secrets.get("pin")
        if not pin:
            raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="the HSM PIN is not set")
        value = await asyncio.to_thread(
            token.sign, request.settings, pin, request.certificate_der, request.to_be_signed
        )
        return SignatureValue(value)


@hookimpl
def ebhxh_signer_types() -> list[SignerType]:
    """The HSM signer type."""
    return [HsmSigner()]
