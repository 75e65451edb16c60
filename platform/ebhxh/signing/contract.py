"""What a signer-type plugin provides: the certificates it can use and a way to sign.

The platform owns the documents (pyHanko): a signer type only ever receives the bytes to be
signed and answers with a signature value, now or later (a USB token on someone's PC, a
phone approval at a remote-signing service). Plugins return `SignerType` objects from the
hook `ebhxh_signer_types`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import msgspec


class SignatureRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One to-be-signed payload handed to a signer type."""

    request_id: str
    tenant_id: str
    unit_id: str
    certificate_der: bytes
    to_be_signed: bytes
    digest_algorithm: str = "sha256"
    settings: Mapping[str, str] = msgspec.field(default_factory=dict)


class SignatureValue(msgspec.Struct, frozen=True):
    """The signature value, available now."""

    value: bytes


class SignaturePending(msgspec.Struct, frozen=True):
    """The value will arrive later; `waiting_for` tells the tenant what it waits on."""

    waiting_for: str


SignatureOutcome = SignatureValue | SignaturePending


@runtime_checkable
class SignerType(Protocol):
    """A way of signing (HSM, USB token through a bridge agent, remote CSC service)."""

    name: str
    """Stable identifier stored on a unit's signature setup, e.g. "hsm"."""
    label: str
    """Name shown to users, in Vietnamese."""

    async def list_certificates(self, settings: Mapping[str, str]) -> Sequence[bytes]:
        """The DER certificates this signer can sign with, under a unit's settings."""
        ...

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        """Sign `request.to_be_signed` or say what the signature waits for."""
        ...
