"""Device credentials and pairing codes: minted once, shown once, stored as SHA-256.

A pairing code is short (a person types it into the agent), one-time and short-lived; a
device credential is `ebhxhdev_` + 32 random bytes, kept by the agent in a file only its
owner reads. As with API tokens (`ebhxh.auth.tokens`), a random secret needs no slow hash.
This module is the one place that reads devices and pairing codes across tenants: resolving
a credential or a code happens before there is a tenant to scope by.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import msgspec

from ebhxh.auth.tokens import hash_token
from ebhxh.db.binding import system_access
from ebhxh.db.ids import as_aware, as_uuid
from ebhxh.devices.tables import Device, DevicePairing
from ebhxh.tenancy.tables import Membership

CREDENTIAL_PREFIX = "ebhxhdev_"
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed
PAIRING_LENGTH = 10  # 50 bits: a code lives minutes and is spent on first use
PAIRING_LIFETIME = dt.timedelta(minutes=10)
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)


class DeviceIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """A device proven by its credential: it acts for `user_id` in `tenant_id`."""

    device_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    name: str


def mint_pairing_code() -> str:
    """A new code, e.g. `K7QM-X2PA-RT`: groups of four for reading out."""
    raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, PAIRING_LENGTH, 4))


def hash_pairing_code(code: str) -> str:
    """The stored form of a code; dashes, spaces and case do not matter."""
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def mint_credential() -> str:
    return CREDENTIAL_PREFIX + secrets.token_urlsafe(32)


async def redeem_pairing_code(code: str, now: dt.datetime) -> dict[str, object] | None:
    """Spend a pairing code: its (tenant, user) when it is known, unused and not expired.

    The update is conditional, so two agents racing with one code cannot both pair.
    """
    with system_access():
        code_hash = hash_pairing_code(code)
        rows = (
            await DevicePairing.update({DevicePairing.used_at: now})
            .where(
                DevicePairing.code_hash == code_hash,
                DevicePairing.used_at.is_null(),
                DevicePairing.expires_at > now,
            )
            .returning(DevicePairing.tenant, DevicePairing.user)
        )
        return dict(rows[0]) if rows else None


async def resolve_device(plain: str, now: dt.datetime) -> DeviceIdentity | None:
    """The device a credential proves, or None: unknown, revoked, or its user no longer a
    member of the tenant.
    """
    with system_access():
        if not plain.startswith(CREDENTIAL_PREFIX):
            return None
        row = (
            await Device.select(
                Device.id, Device.tenant, Device.user, Device.name, Device.last_seen_at
            )
            .where(Device.credential_hash == hash_token(plain), Device.revoked_at.is_null())
            .first()
        )
        if row is None:
            return None
        member = await Membership.exists().where(
            Membership.tenant == row["tenant"], Membership.user == row["user"]
        )
        if not member:
            return None
        last_seen = row["last_seen_at"]
        if last_seen is None or now - as_aware(last_seen) > LAST_SEEN_RESOLUTION:
            await Device.update({Device.last_seen_at: now}).where(Device.id == row["id"])
        return DeviceIdentity(
            device_id=as_uuid(row["id"]),
            tenant_id=as_uuid(row["tenant"]),
            user_id=as_uuid(row["user"]),
            name=row["name"],
        )
