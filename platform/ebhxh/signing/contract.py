"""What a signer-type plugin provides: the certificates it can use and a way to sign.

The platform owns the documents (pyHanko): a signer type only ever receives the bytes to be
signed and answers with a signature value, now or later (a USB token on someone's PC, a
phone approval at a remote-signing service). A signer that answers `SignaturePending`
settles the request later through `runtime.signatures` (`ebhxh.signing.settlement`), from
its own worker job or route handler (hooks `ebhxh_worker_jobs`, `ebhxh_route_handlers`).
Plugins return `SignerType` objects from the hook `ebhxh_signer_types`. Settings are the
unit's non-secret signer settings (module path, token label, ...); secrets (a PIN) are
decrypted by the platform just for the call and must never be logged or stored by the
plugin.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable

import msgspec

from ebhxh.errors import ErrorCode, ProblemError


class SignatureRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One to-be-signed payload handed to a signer type."""

    request_id: str
    tenant_id: str
    unit_id: str
    certificate_der: bytes
    to_be_signed: bytes
    """Sign these bytes with SHA-256 and the certificate's key (RSA PKCS#1 v1.5 or ECDSA)."""
    description: str = ""
    """What is being signed, for a signer that shows it to a person (unit, form, digest)."""
    settings: Mapping[str, str] = msgspec.field(default_factory=dict)
    secrets: Mapping[str, str] = msgspec.field(default_factory=dict)


class SignatureValue(msgspec.Struct, frozen=True):
    """The signature value, available now."""

    value: bytes


class SignaturePending(msgspec.Struct, frozen=True):
    """The value will arrive later; `waiting_for` tells the tenant what it waits on.

    `state` is what the signer type must remember about the request until it settles (a
    transaction id at the service, a device): the platform keeps it encrypted at rest with
    the request and hands it back in `PendingSignature.state`.
    """

    waiting_for: str
    state: Mapping[str, Any] = msgspec.field(default_factory=dict)


class PendingSignature(msgspec.Struct, frozen=True, kw_only=True):
    """A request still waiting for its value, as the platform hands it back to the signer
    type that answered `SignaturePending` (from `Runtime.pending_signatures`).

    The signer settles it with `Runtime.settle_signature` (a value, or an `ErrorCode`);
    settings and secrets are the unit's, decrypted for the call: never log or store them.
    """

    request_id: uuid.UUID
    tenant_id: uuid.UUID
    unit_id: uuid.UUID
    certificate_der: bytes
    to_be_signed: bytes
    expires_at: dt.datetime
    settings: Mapping[str, str] = msgspec.field(default_factory=dict)
    secrets: Mapping[str, str] = msgspec.field(default_factory=dict)
    state: Mapping[str, Any] = msgspec.field(default_factory=dict)


SignatureOutcome = SignatureValue | SignaturePending


class SignerFailure(ProblemError):
    """A signer type could not do what was asked; `code` says why (wrong PIN, no token)."""

    def __init__(self, code: ErrorCode, **params: object) -> None:
        super().__init__(code, status=422, field="signer", params=params)


@runtime_checkable
class SignerType(Protocol):
    """A way of signing (HSM, USB token through a bridge agent, remote CSC service)."""

    name: str
    """Stable identifier stored on a unit's signature setup, e.g. "hsm"."""
    label: str
    """Name shown to users, in Vietnamese."""
    secret_names: tuple[str, ...]
    """Settings that are secrets (encrypted at rest, never returned), e.g. ("pin",)."""

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        """The DER certificates this signer can sign with, under a unit's settings."""
        ...

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        """Sign `request.to_be_signed` or say what the signature waits for."""
        ...


SIGNING_TENANT: ContextVar[uuid.UUID | None] = ContextVar("ebhxh_signing_tenant", default=None)
"""The tenant a `list_certificates` or `reported_certificates` call is made for (set by the
platform around the call): a signer whose settings name tenant data (a paired device) must
look it up in this tenant only.
"""


@runtime_checkable
class ReportsCertificates(Protocol):
    """A signer type that knows which certificates its device holds now without asking a
    person (a bridge agent reports them); the platform then notices a renewed certificate.
    """

    async def reported_certificates(self, settings: Mapping[str, str]) -> Sequence[bytes] | None:
        """The certificates last reported under a unit's settings; None when unknown."""
        ...
