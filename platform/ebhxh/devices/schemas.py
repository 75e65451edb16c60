"""Request and response bodies of paired devices."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec


class PairingCodeOut(msgspec.Struct, kw_only=True):
    """A one-time pairing code, shown once; give it to `ebhxh-bridge pair`."""

    code: str
    expires_at: dt.datetime


class PairDeviceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What an agent sends to pair: the user's code and a name for the PC."""

    code: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class PairedDeviceOut(msgspec.Struct, kw_only=True):
    """The new device and its credential (returned once; the agent keeps it)."""

    device_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    credential: str


class DeviceCertificatesIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The token a device sees and the certificates on it (DER, base64 in JSON)."""

    token: Annotated[str, msgspec.Meta(max_length=200)]
    certificates: Annotated[list[bytes], msgspec.Meta(max_length=32)]


class DeviceCertificateOut(msgspec.Struct, kw_only=True):
    sha256: str
    serial: str
    subject: str
    not_after: dt.datetime


class DeviceOut(msgspec.Struct, kw_only=True):
    """A paired device, as its tenant sees it (never its credential)."""

    id: uuid.UUID
    name: str
    user_id: uuid.UUID
    credential_prefix: str
    token: str
    certificates: list[DeviceCertificateOut]
    certificates_at: dt.datetime | None
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    revoked_at: dt.datetime | None


class DeviceList(msgspec.Struct, kw_only=True):
    devices: list[DeviceOut]
