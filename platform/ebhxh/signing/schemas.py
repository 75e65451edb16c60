"""Request and response bodies of signature setup and signing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.documents.forms import FormKind
from ebhxh.signing.tables import SigningState

Settings = Annotated[
    dict[str, Annotated[str, msgspec.Meta(max_length=500)]], msgspec.Meta(max_length=20)
]


class SignerTypeOut(msgspec.Struct, kw_only=True):
    """An installed signer type."""

    name: str
    label: str
    secret_names: list[str]


class SignerTypeList(msgspec.Struct, kw_only=True):
    """Every installed signer type."""

    signer_types: list[SignerTypeOut]


class SignerAccess(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which signer type to use and how to reach it; `secrets` are write-only."""

    signer_type: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    settings: Settings = msgspec.field(default_factory=dict)
    secrets: Settings = msgspec.field(default_factory=dict)


class SignatureSetupIn(SignerAccess, forbid_unknown_fields=True, kw_only=True):
    """Set up the unit's signature with one of the certificates the signer offers."""

    certificate_sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$")]


class CertificateOut(msgspec.Struct, kw_only=True):
    """A certificate and whether the unit may sign with it."""

    sha256: str
    serial: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    usable: bool
    problem_code: str | None = None
    problem: str | None = None


class CertificateList(msgspec.Struct, kw_only=True):
    """The certificates a signer offers, each checked against the unit."""

    certificates: list[CertificateOut]


class CertificateChangeOut(msgspec.Struct, kw_only=True):
    """The signer's device no longer holds the registered certificate but holds a new one
    of the unit's tax code (a renewed or replaced token): what to do about it.
    """

    code: str
    message: str
    new_certificate: CertificateOut
    next_steps: list[str]


class SignatureSetupOut(msgspec.Struct, kw_only=True):
    """The unit's signature setup (secrets are never returned)."""

    unit_id: uuid.UUID
    signer_type: str
    settings: dict[str, str]
    secrets_set: list[str]
    certificate: CertificateOut
    checked_at: dt.datetime
    certificate_change: CertificateChangeOut | None = None
    """Set when the device reports a new certificate instead of the registered one."""


class SigningRequestIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Render a form for the unit and sign it."""

    form: FormKind


class SigningRequestOut(msgspec.Struct, kw_only=True):
    """A signing request and where it is."""

    id: uuid.UUID
    unit_id: uuid.UUID
    form: FormKind
    state: SigningState
    signer_type: str
    waiting_for: str | None
    failure_code: str | None
    document_sha256: str
    created_at: dt.datetime
    expires_at: dt.datetime
    finished_at: dt.datetime | None
