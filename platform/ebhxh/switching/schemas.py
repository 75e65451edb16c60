"""Request and response bodies of provider switches."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.switching.contract import StopProcedure
from ebhxh.switching.states import SwitchState


class StopRequestIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Ask for the old provider's service to stop (the reason is printed on the stop form)."""

    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class OldProviderOut(msgspec.Struct, kw_only=True):
    """The provider being left, as its plugin describes it."""

    key: str
    display_name: str
    reported_name: str
    """The name VSS reports for the unit."""
    stop_procedure: StopProcedure
    portal_steps: list[str]
    requirements: list[str]
    support_contact: str | None


class SwitchEventOut(msgspec.Struct, kw_only=True):
    """One step of the switch."""

    at: dt.datetime
    actor: str
    from_state: SwitchState | None
    to_state: SwitchState
    reason: str | None


class SwitchOut(msgspec.Struct, kw_only=True):
    """A switch away from a competing provider: where it is and what it waits for."""

    id: uuid.UUID
    unit_id: uuid.UUID
    state: SwitchState
    old_provider: OldProviderOut
    waiting_for: str | None
    reason: str | None
    """Why VSS refused the stop, while it stands refused."""
    registration_dossier_id: uuid.UUID
    stop_dossier_id: uuid.UUID | None
    history: list[SwitchEventOut]


class SwitchList(msgspec.Struct, kw_only=True):
    """A unit's switches, newest first."""

    switches: list[SwitchOut]
