"""Paired devices of a tenant: pairing codes, pairing, the certificates a device reports,
listing and revoking.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import structlog

from ebhxh.auth.principal import Principal
from ebhxh.auth.tokens import hash_token
from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.devices.credentials import (
    PAIRING_LIFETIME,
    DeviceIdentity,
    hash_pairing_code,
    mint_credential,
    mint_pairing_code,
    redeem_pairing_code,
)
from ebhxh.devices.schemas import (
    DeviceCertificateOut,
    DeviceList,
    DeviceOut,
    PairedDeviceOut,
    PairingCodeOut,
)
from ebhxh.devices.tables import Device, DevicePairing
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing.certificates import summarise
from ebhxh.tenancy.tables import Role

log = structlog.get_logger(__name__)


async def pair(code: str, name: str, now: dt.datetime) -> PairedDeviceOut:
    """Spend a pairing code and make the device it pairs (bound to the code's user and
    tenant); the credential is returned here once and stored only as its hash.
    """
    redeemed = await redeem_pairing_code(code, now)
    if redeemed is None:
        raise ProblemError(ErrorCode.PAIRING_CODE_INVALID, field="code")
    scope = TenantScope(as_uuid(redeemed["tenant"]))
    credential = mint_credential()
    device = scope.new(
        Device,
        user=redeemed["user"],
        name=name,
        credential_hash=hash_token(credential),
        credential_prefix=credential[:16],
        token="",
        certificates="[]",
        created_at=now,
    )
    await scope.insert(Device, device)
    log.info("device_paired", device_id=str(device.id), tenant_id=str(scope.tenant_id))
    return PairedDeviceOut(
        device_id=as_uuid(device.id),
        tenant_id=scope.tenant_id,
        user_id=as_uuid(redeemed["user"]),
        name=name,
        credential=credential,
    )


def device_certificates(row: dict[str, Any]) -> list[bytes]:
    """The DER certificates a device last reported."""
    stored = row["certificates"]
    values = json.loads(stored) if isinstance(stored, str | bytes) else stored
    return [base64.b64decode(value) for value in values or []]


class DeviceService:
    """The paired devices of the scope's tenant."""

    def __init__(self, scope: TenantScope) -> None:
        self.scope = scope

    async def pairing_code(self, user_id: uuid.UUID, now: dt.datetime) -> PairingCodeOut:
        """A new one-time code for `user_id`; only its hash is stored."""
        code = mint_pairing_code()
        expires_at = now + PAIRING_LIFETIME
        await self.scope.insert(
            DevicePairing,
            self.scope.new(
                DevicePairing,
                user=user_id,
                code_hash=hash_pairing_code(code),
                created_at=now,
                expires_at=expires_at,
            ),
        )
        return PairingCodeOut(code=code, expires_at=expires_at)

    async def row(self, device_id: uuid.UUID) -> dict[str, Any]:
        row: dict[str, Any] | None = (
            await self.scope.select(Device).where(Device.id == device_id).first()
        )
        if row is None:
            raise ProblemError(ErrorCode.DEVICE_NOT_FOUND, status=404)
        return row

    async def get(self, device_id: uuid.UUID) -> DeviceOut:
        return _device_out(await self.row(device_id))

    async def all(self) -> DeviceList:
        rows = await self.scope.select(Device).order_by(Device.created_at)
        return DeviceList(devices=[_device_out(row) for row in rows])

    async def revoke(self, device_id: uuid.UUID, by: Principal, now: dt.datetime) -> DeviceOut:
        """Revoke a device (its owner or an admin): its credential stops working at once."""
        row = await self.row(device_id)
        if str(row["user"]) != str(by.user_id) and Role.ADMIN not in by.roles:
            raise ProblemError(ErrorCode.DEVICE_NOT_YOURS, status=403)
        if row["revoked_at"] is None:
            await self.scope.update(Device, {Device.revoked_at: now}).where(Device.id == device_id)
            log.info("device_revoked", device_id=str(device_id))
        return await self.get(device_id)

    async def report_certificates(
        self, device: DeviceIdentity, token: str, certificates: list[bytes], now: dt.datetime
    ) -> DeviceOut:
        """Record what the device's token holds now (replacing the previous report)."""
        readable = []
        for der in certificates:
            try:
                summarise(der)
            except ValueError as exc:
                raise ProblemError(
                    ErrorCode.INVALID_VALUE,
                    field="certificates",
                    params={"reason": "not an X.509 certificate"},
                ) from exc
            readable.append(base64.b64encode(der).decode())
        await self.scope.update(
            Device,
            {
                Device.token: token,
                Device.certificates: json.dumps(readable),
                Device.certificates_at: now,
            },
        ).where(Device.id == device.device_id)
        return await self.get(device.device_id)


def _device_out(row: dict[str, Any]) -> DeviceOut:
    certificates = []
    for der in device_certificates(row):
        summary = summarise(der)
        certificates.append(
            DeviceCertificateOut(
                sha256=summary.sha256,
                serial=summary.serial,
                subject=summary.subject,
                not_after=summary.not_after,
            )
        )
    return DeviceOut(
        id=as_uuid(row["id"]),
        name=row["name"],
        user_id=as_uuid(row["user"]),
        credential_prefix=row["credential_prefix"],
        token=row["token"],
        certificates=certificates,
        certificates_at=row["certificates_at"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        revoked_at=row["revoked_at"],
    )
