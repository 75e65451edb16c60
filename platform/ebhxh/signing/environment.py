"""What signing needs from the running platform: trust store, secret box, clock, signers."""

from __future__ import annotations

import datetime as dt

import msgspec

from ebhxh.clock import Clock
from ebhxh.secrets.box import SecretBox
from ebhxh.signing.trust import TrustStore

SIGNING_REQUEST_LIFETIME = dt.timedelta(minutes=15)


class SigningEnvironment(msgspec.Struct, frozen=True, kw_only=True):
    """Shared, read-only signing facilities, built once per app."""

    trust: TrustStore
    secrets: SecretBox
    clock: Clock
    request_lifetime: dt.timedelta = SIGNING_REQUEST_LIFETIME
