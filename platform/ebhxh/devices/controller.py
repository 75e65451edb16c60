"""HTTP routes of paired devices: a user asks for a pairing code, lists and revokes devices;
an agent pairs with the code and reports the certificates on its token.
"""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from ebhxh.auth.guards import not_through_support
from ebhxh.auth.principal import Principal
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.devices import service
from ebhxh.devices.auth import DEVICE_DEPENDENCY, DEVICE_OPT
from ebhxh.devices.credentials import DeviceIdentity
from ebhxh.devices.schemas import (
    DeviceCertificatesIn,
    DeviceList,
    DeviceOut,
    PairDeviceIn,
    PairedDeviceOut,
    PairingCodeOut,
)
from ebhxh.devices.service import DeviceService
from ebhxh.http.limits import DEVICE_CERTIFICATES
from ebhxh.http.rate_limit import PAIRING, PAIRING_CODES, rate_limited


def provide_devices(tenant_scope: NamedDependency[TenantScope]) -> DeviceService:
    return DeviceService(tenant_scope)


class DeviceController(Controller):
    """Devices (the USB-token bridge agent) paired to the tenant's users."""

    path = "/devices"
    tags = ["Devices"]
    dependencies = {"devices": Provide(provide_devices, sync_to_thread=False)}

    @post(
        "/pairing-codes",
        operation_id="createPairingCode",
        summary="A one-time pairing code for one of your PCs (shown once, valid 10 minutes)",
        guards=[not_through_support, rate_limited(PAIRING_CODES)],
    )
    async def pairing_code(
        self,
        devices: NamedDependency[DeviceService],
        principal: NamedDependency[Principal],
        now: NamedDependency[dt.datetime],
    ) -> PairingCodeOut:
        return await devices.pairing_code(principal.user_id, now)

    @get("/", operation_id="listDevices", summary="The tenant's paired devices")
    async def list_devices(self, devices: NamedDependency[DeviceService]) -> DeviceList:
        return await devices.all()

    @get("/{device_id:uuid}", operation_id="getDevice", summary="A paired device")
    async def get_device(
        self, device_id: FromPath[uuid.UUID], devices: NamedDependency[DeviceService]
    ) -> DeviceOut:
        return await devices.get(device_id)

    @delete(
        "/{device_id:uuid}",
        operation_id="revokeDevice",
        summary="Revoke a device: its credential stops working at once",
        status_code=200,
    )
    async def revoke(
        self,
        device_id: FromPath[uuid.UUID],
        devices: NamedDependency[DeviceService],
        principal: NamedDependency[Principal],
        now: NamedDependency[dt.datetime],
    ) -> DeviceOut:
        return await devices.revoke(device_id, principal, now)


class DeviceAgentController(Controller):
    """What an agent on a PC calls: pair with a code, then report with its credential."""

    path = "/device"
    tags = ["Devices"]

    @post(
        "/pairing",
        operation_id="pairDevice",
        summary="Exchange a pairing code for a device credential (the agent calls this)",
        opt=DEVICE_OPT,
        security=[],
        guards=[rate_limited(PAIRING)],
    )
    async def pair(
        self, data: JSONBody[PairDeviceIn], now: NamedDependency[dt.datetime]
    ) -> PairedDeviceOut:
        return await service.pair(data.code, data.name, now)

    @put(
        "/certificates",
        operation_id="reportDeviceCertificates",
        summary="The token the device sees and its certificates (device credential)",
        opt=DEVICE_OPT,
        dependencies=DEVICE_DEPENDENCY,
        request_max_body_size=DEVICE_CERTIFICATES,
    )
    async def certificates(
        self,
        data: JSONBody[DeviceCertificatesIn],
        device: NamedDependency[DeviceIdentity],
        now: NamedDependency[dt.datetime],
    ) -> DeviceOut:
        return await DeviceService(TenantScope(device.tenant_id)).report_certificates(
            device, data.token, data.certificates, now
        )
