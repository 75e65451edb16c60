"""Request and response bodies of dossiers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.dossiers.states import DossierState
from ebhxh.gateway.contract import DossierKind
from ebhxh.identifiers import ACTIVATION_CODE_PATTERN

Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class DossierIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Start a dossier for a unit (it is signed with the unit's signature and queued)."""

    kind: DossierKind


class ActivationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The activation code from VSS's email."""

    code: Annotated[str, msgspec.Meta(pattern=ACTIVATION_CODE_PATTERN)]


class NewCodeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Ask VSS for a new activation code, optionally at a corrected address."""

    email: Email | None = None


class UnitCodeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The unit code the office issued (from its decision)."""

    unit_code: Annotated[str, msgspec.Meta(max_length=20)]


class EventOut(msgspec.Struct, kw_only=True):
    """One entry of the dossier's history."""

    at: dt.datetime
    actor: str
    from_state: DossierState | None
    to_state: DossierState
    reason: str | None


class ActivationHelp(msgspec.Struct, kw_only=True):
    """Where the activation code went and what to do when it does not arrive."""

    sent_to: str | None
    expires_at: dt.datetime | None
    common_causes: list[str]


class DossierOut(msgspec.Struct, kw_only=True):
    """A dossier, where it is, why it waits, and its history."""

    id: uuid.UUID
    unit_id: uuid.UUID
    kind: DossierKind
    version: int
    previous_id: uuid.UUID | None
    state: DossierState
    waiting_for: str | None
    reason: str | None
    receipt_id: str | None
    issued_unit_code: str | None
    activation: ActivationHelp | None
    provider_switch_id: uuid.UUID | None = None
    """The switch away from another provider that this registration waits on (or waited)."""
    signing_request_id: uuid.UUID | None = None
    """The signing request of its latest signing (GET /signing-requests/{id})."""
    history: list[EventOut]


class DossierList(msgspec.Struct, kw_only=True):
    """A unit's dossiers, newest first."""

    dossiers: list[DossierOut]


class VssRecordOut(msgspec.Struct, kw_only=True):
    """What VSS's registry says about the unit's tax code."""

    tax_code: str
    unit_code: str | None
    provider: str | None
