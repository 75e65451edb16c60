"""Device endpoints authenticate with the device credential, never a user's API token.

Their handlers opt out of the bearer-token middleware (`DEVICE_OPT`) and ask for the
`device` dependency, which resolves `Authorization: Bearer ebhxhdev_…` to the device.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.di import Provide

from ebhxh.devices.credentials import DeviceIdentity, resolve_device
from ebhxh.errors import ErrorCode, ProblemError

DEVICE_OPT = {"exclude_from_auth": True}
"""`opt` of a route handler that a device calls."""


async def provide_device(request: Request[Any, Any, Any]) -> DeviceIdentity:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    device = None
    if scheme.lower() == "bearer" and credential.strip():
        device = await resolve_device(credential.strip(), request.app.state.clock.now())
    if device is None:
        raise ProblemError(ErrorCode.DEVICE_CREDENTIAL_INVALID, status=401)
    structlog.contextvars.bind_contextvars(
        tenant_id=str(device.tenant_id),
        user_id=str(device.user_id),
        device_id=str(device.device_id),
    )
    return device


DEVICE_DEPENDENCY = {"device": Provide(provide_device)}
