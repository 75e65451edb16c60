"""What the platform and the agent exchange (both sides decode these Structs)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import msgspec


class BridgeProblem(StrEnum):
    """Why the agent could not sign (the token's problem, or the person's choice)."""

    TOKEN_MISSING = "token_missing"  # noqa: S105 - a problem name, not a secret
    KEY_MISSING = "key_missing"
    PIN_INCORRECT = "pin_incorrect"
    PIN_LOCKED = "pin_locked"
    PIN_GUARD = "pin_guard"
    """The agent stopped asking for the PIN after too many wrong ones."""
    DEVICE = "device"
    DECLINED = "declined"


class BridgeRequestOut(msgspec.Struct, kw_only=True):
    """A signing request for the device: what to show, and the bytes to sign (never the
    document itself).
    """

    request_id: uuid.UUID
    unit_name: str
    tax_code: str
    form: str
    document_sha256: str
    certificate: bytes
    to_be_signed: bytes
    expires_at: dt.datetime


class BridgeResultIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The agent's answer: the signature value, or the problem."""

    request_id: uuid.UUID
    signature: Annotated[bytes, msgspec.Meta(max_length=2048)] | None = None
    problem: BridgeProblem | None = None
    detail: Annotated[str, msgspec.Meta(max_length=200)] = ""


class BridgeResultOut(msgspec.Struct, kw_only=True):
    """The request once settled: `signed`, or `failed` with the reason, or `expired`."""

    request_id: uuid.UUID
    state: str
    failure_code: str | None
