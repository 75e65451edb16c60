"""Signer types whose value comes later (USB bridge, remote signing) through the same core:
the request waits, finishes from the persisted state, refuses a bad value, and expires.
"""

from __future__ import annotations

import datetime as dt
import types
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.auth.principal import Principal
from ebhxh.clock import FixedClock
from ebhxh.db.binding import system_access
from ebhxh.demo import pki
from ebhxh.errors import ProblemError
from ebhxh.plugins import hookimpl
from ebhxh.plugins.manager import load_plugins
from ebhxh.settings import Settings
from ebhxh.signing.service import SigningService
from ebhxh.signing.tables import SigningRequest
from ebhxh.tenancy.tables import Role
from tests.conftest import Pki, TenantHandle, in_app
from tests.deferred_signer import Deferred, deferred_setup, deferred_signer, unit_signing_with

Client = AsyncTestClient[Litestar]


@pytest.fixture
def key_and_signer(test_pki: Pki) -> tuple[Any, Deferred]:
    return deferred_signer(test_pki)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime.now(dt.UTC))


@pytest.fixture
async def client(
    settings: Settings, key_and_signer: tuple[object, Deferred], clock: FixedClock
) -> AsyncIterator[Client]:
    plugin = types.SimpleNamespace(ebhxh_signer_types=hookimpl(lambda: [key_and_signer[1]]))
    plugins = load_plugins(extra=[("deferred-signer", plugin)])
    app = create_app(settings, plugins=plugins, clock=clock, configure_logs=False)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def _pending(client: Client, tenant: TenantHandle, signer: Deferred) -> tuple[str, str]:
    unit_id = await unit_signing_with(client, tenant, deferred_setup(signer))
    started = await client.post(
        f"/units/{unit_id}/signing-requests", json={"form": "01-dk-gd"}, headers=tenant.headers
    )
    assert started.status_code == 201, started.text
    assert started.json()["state"] == "pending"
    assert started.json()["waiting_for"] == "chờ phê duyệt trên ứng dụng ký số"
    return unit_id, started.json()["id"]


def _complete(
    client: Client, app: Litestar, tenant: TenantHandle, request_id: str, value: bytes
) -> object:
    async def run() -> object:
        principal = Principal(
            user_id=uuid.uuid4(),
            tenant_id=tenant.id,
            roles=frozenset({Role.SIGNER}),
            credential_id=uuid.uuid4(),
        )
        service = SigningService(principal.scope, app.state.catalogue, app.state.signing)
        try:
            return await service.complete(uuid.UUID(request_id), value)
        except ProblemError as refused:
            return refused

    return in_app(client, run)


async def test_a_late_value_finishes_the_persisted_request(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[object, Deferred]
) -> None:
    key, signer = key_and_signer
    _, request_id = await _pending(client, tenant, signer)
    asked = signer.asked[-1]
    assert "Công ty Cổ phần Sông Hồng · 01-dk-gd" in asked.description
    value = key.sign(asked.to_be_signed, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[attr-defined]
    _complete(client, client.app, tenant, request_id, value)
    done = (await client.get(f"/signing-requests/{request_id}", headers=tenant.headers)).json()
    assert (done["state"], done["waiting_for"]) == ("signed", None)
    pdf = await client.get(f"/signing-requests/{request_id}/document", headers=tenant.headers)
    assert pdf.content.startswith(b"%PDF-")


async def test_a_value_made_with_another_key_is_refused(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[object, Deferred]
) -> None:
    _, signer = key_and_signer
    _, request_id = await _pending(client, tenant, signer)
    stranger = pki.new_key()
    value = stranger.sign(signer.asked[-1].to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    refused = _complete(client, client.app, tenant, request_id, value)
    assert isinstance(refused, ProblemError)
    assert refused.code.value == "signature_value_invalid"
    state = (await client.get(f"/signing-requests/{request_id}", headers=tenant.headers)).json()
    assert (state["state"], state["failure_code"]) == ("failed", "signature_value_invalid")
    unsigned = await client.get(f"/signing-requests/{request_id}/document", headers=tenant.headers)
    assert (unsigned.status_code, unsigned.json()["code"]) == (409, "signing_request_state")

    async def stored_pdf() -> object:
        with system_access():
            row = (
                await SigningRequest.select(SigningRequest.signed_pdf)
                .where(SigningRequest.id == uuid.UUID(request_id))
                .first()
            )
        return row["signed_pdf"]

    assert in_app(client, stored_pdf) is None


async def test_a_request_left_too_long_expires(
    client: Client,
    tenant: TenantHandle,
    key_and_signer: tuple[object, Deferred],
    clock: FixedClock,
) -> None:
    key, signer = key_and_signer
    _, request_id = await _pending(client, tenant, signer)
    clock.advance(dt.timedelta(minutes=16))
    state = (await client.get(f"/signing-requests/{request_id}", headers=tenant.headers)).json()
    assert state["state"] == "expired"
    value = key.sign(signer.asked[-1].to_be_signed, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[attr-defined]
    late = _complete(client, client.app, tenant, request_id, value)
    assert isinstance(late, ProblemError)
    assert late.params["state"] == "expired"
