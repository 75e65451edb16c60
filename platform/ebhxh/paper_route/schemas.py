"""Request and response bodies of the paper route."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from ebhxh.identifiers import TRACKING_NUMBER_PATTERN
from ebhxh.paper_route.tables import PaperState, SendingChannel


class SentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The pack left for the office: when, how, and the postal tracking number if posted."""

    sent_on: dt.date
    channel: SendingChannel
    tracking_number: Annotated[str, msgspec.Meta(pattern=TRACKING_NUMBER_PATTERN)] | None = None


class IssuedCodeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The unit code from the office's notice."""

    unit_code: Annotated[str, msgspec.Meta(max_length=20)]


class PaperDossierOut(msgspec.Struct, kw_only=True):
    """A unit's paper dossier: where it is, what comes next, and the pack to print."""

    id: uuid.UUID
    unit_id: uuid.UUID
    state: PaperState
    office: str
    office_address: str | None
    forms: list[str]
    pack_url: str
    prepared_at: dt.datetime
    sent_on: dt.date | None
    channel: SendingChannel | None
    tracking_number: str | None
    unit_code: str | None
    code_received_at: dt.datetime | None
    registration_dossier_id: uuid.UUID | None
    next_step: str
