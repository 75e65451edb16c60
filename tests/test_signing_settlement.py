"""The settlement seam for deferred signer types: a test signer plugin answers pending,
then settles through its own route handler (hook `ebhxh_route_handlers`) or its own worker
job (hook `ebhxh_worker_jobs`); the waiting dossier continues by itself (signed ->
submitting with its outbox row) or returns to draft with the reason; an overdue pending
request expires through the worker's cron.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import types
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from litestar import Litestar, Request, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.auth.principal import Principal
from ebhxh.clock import ShiftedClock
from ebhxh.db.binding import system_access
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.demo import pki
from ebhxh.dossiers.tables import Dossier, OutboxJob
from ebhxh.errors import ErrorCode
from ebhxh.plugins import hookimpl
from ebhxh.plugins.manager import load_plugins
from ebhxh.settings import Settings
from ebhxh.signing.schemas import SigningRequestOut
from ebhxh.worker.contract import WorkerJobs
from tests.conftest import (
    Pki,
    TenantHandle,
    in_app,
    settle_outbox,
)
from tests.deferred_signer import Deferred, deferred_setup, deferred_signer, unit_signing_with

Client = AsyncTestClient[Litestar]
WAITING = "chờ phê duyệt trên ứng dụng ký số"


class SettleIn(msgspec.Struct, frozen=True):
    value_hex: str | None = None
    failure: str | None = None


@post("/deferred-signer/requests/{request_id:uuid}/settle", operation_id="deferredSettle")
async def settle_endpoint(
    request: Request[Principal, Any, Any],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[SettleIn],
) -> SigningRequestOut:
    settled: SigningRequestOut = await request.app.state.runtime.signatures.settle(
        request.user.tenant_id,
        request_id,
        value=bytes.fromhex(data.value_hex) if data.value_hex else None,
        failure=ErrorCode(data.failure) if data.failure else None,
    )
    return settled


async def deferred_settle(
    ctx: dict[str, Any], tenant_id: str, request_id: str, value_hex: str
) -> str:
    settled = await ctx["runtime"].signatures.settle(
        uuid.UUID(tenant_id),
        uuid.UUID(request_id),
        value=bytes.fromhex(value_hex),
        enqueue=ctx["enqueue"],
    )
    return str(settled.state)


@pytest.fixture
def key_and_signer(test_pki: Pki) -> tuple[Any, Deferred]:
    return deferred_signer(test_pki)


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def client(
    settings: Settings, key_and_signer: tuple[Any, Deferred], clock: ShiftedClock
) -> AsyncIterator[Client]:
    plugin = types.SimpleNamespace(
        ebhxh_signer_types=hookimpl(lambda: [key_and_signer[1]]),
        ebhxh_route_handlers=hookimpl(lambda: [settle_endpoint]),
        ebhxh_worker_jobs=hookimpl(lambda: [WorkerJobs(functions=[deferred_settle])]),
    )
    plugins = load_plugins(extra=[("deferred-signer", plugin)])
    app = create_app(settings, plugins=plugins, clock=clock, with_worker=True, configure_logs=False)
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        in_app(test_client, settle_outbox)
        yield test_client
        in_app(test_client, settle_outbox)


async def _signing_dossier(
    client: Client, tenant: TenantHandle, signer: Deferred
) -> dict[str, Any]:
    """A first-time unit with the deferred signer; its unit-code dossier waits in signing."""
    unit_id = await unit_signing_with(client, tenant, deferred_setup(signer))
    created = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    dossier: dict[str, Any] = created.json()
    assert (dossier["state"], dossier["waiting_for"]) == ("signing", WAITING)
    return dossier


async def _dossier(client: Client, tenant: TenantHandle, dossier_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        await client.get(f"/dossiers/{dossier_id}", headers=tenant.headers)
    ).json()
    return found


async def _until_not_signing(
    client: Client, tenant: TenantHandle, dossier_id: str
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        dossier = await _dossier(client, tenant, dossier_id)
        if dossier["state"] != "signing":
            return dossier
        assert asyncio.get_running_loop().time() < deadline, dossier
        await asyncio.sleep(0.1)


def _value(key: Any, signer: Deferred) -> bytes:
    value: bytes = key.sign(signer.asked[-1].to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    return value


async def _submit_rows(dossier_id: str) -> list[dict[str, Any]]:
    with system_access():
        rows: list[dict[str, Any]] = await OutboxJob.select(OutboxJob.action).where(
            OutboxJob.dossier == uuid.UUID(dossier_id)
        )
    return rows


async def test_ebhxh_route_handlers_let_a_signer_settle_and_the_dossier_continues(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[Any, Deferred]
) -> None:
    key, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    request_id = dossier["signing_request_id"]
    settled = await client.post(
        f"/deferred-signer/requests/{request_id}/settle",
        json={"value_hex": _value(key, signer).hex()},
        headers=tenant.headers,
    )
    assert settled.status_code == 201, settled.text
    assert settled.json()["state"] == "signed"
    moved = await _dossier(client, tenant, dossier["id"])
    assert moved["state"] in {"submitting", "awaiting_activation"}, moved
    states = [event["to_state"] for event in moved["history"]]
    assert states[:4] == ["draft", "signing", "signed", "submitting"]
    assert {"action": "submit"} in in_app(client, _submit_rows, dossier["id"])
    again = await client.post(
        f"/deferred-signer/requests/{request_id}/settle",
        json={"value_hex": _value(key, signer).hex()},
        headers=tenant.headers,
    )
    assert again.json()["state"] == "signed"  # settling twice changes nothing
    assert len(in_app(client, _submit_rows, dossier["id"])) == 1


async def test_a_failure_settles_the_dossier_back_to_draft_with_the_reason(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[Any, Deferred]
) -> None:
    _, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    settled = await client.post(
        f"/deferred-signer/requests/{dossier['signing_request_id']}/settle",
        json={"failure": "csc_approval_refused"},
        headers=tenant.headers,
    )
    assert (settled.json()["state"], settled.json()["failure_code"]) == (
        "failed",
        "csc_approval_refused",
    )
    back = await _dossier(client, tenant, dossier["id"])
    assert (back["state"], back["waiting_for"]) == ("draft", None)
    assert back["history"][-1]["reason"] == "ký số thất bại: csc_approval_refused"
    retried = await client.post(
        f"/units/{dossier['unit_id']}/dossiers",
        json={"kind": "register-unit-code"},
        headers=tenant.headers,
    )
    assert (retried.json()["id"], retried.json()["state"]) == (dossier["id"], "signing")


async def _fail_then_retry_sweeping_meanwhile(
    client: Client,
    tenant: TenantHandle,
    signer: Deferred,
    dossier: dict[str, Any],
    before_sweep: Callable[[], object] = lambda: None,
) -> dict[str, Any]:
    """Fail the signing dossier's request, then retry the draft; while the signer is
    asked, run the worker's signature sweep (after `before_sweep`) and record the
    dossier's state then in `signer.seen_while_asked`. The retry's answer.
    """
    failed = await client.post(
        f"/deferred-signer/requests/{dossier['signing_request_id']}/settle",
        json={"failure": "csc_approval_refused"},
        headers=tenant.headers,
    )
    assert failed.json()["state"] == "failed"
    sweep = client.app.state.runtime.signatures.expire_overdue

    async def sweep_then_state() -> object:
        before_sweep()
        await sweep()
        return await _state(tenant, dossier["id"])

    signer.while_asked = sweep_then_state
    retried = await client.post(
        f"/units/{dossier['unit_id']}/dossiers",
        json={"kind": "register-unit-code"},
        headers=tenant.headers,
    )
    assert retried.status_code == 201, retried.text
    answer: dict[str, Any] = retried.json()
    return answer


async def test_a_retried_draft_is_not_sent_back_by_its_previous_failure_while_it_signs(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[Any, Deferred]
) -> None:
    """Re-signing a draft moves it to signing before its new request is attached. The
    worker's sweep of dossiers left signing on a settled request (every 5 s) must not find
    the old, failed request in that moment and send the dossier back to draft: CI once saw
    a USB-bridge dossier in draft while its new request was still pending.
    """
    key, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    retried = await _fail_then_retry_sweeping_meanwhile(client, tenant, signer, dossier)
    assert signer.seen_while_asked == ["signing"]
    assert retried["state"] == "signing"
    assert retried["signing_request_id"] not in (None, dossier["signing_request_id"])
    signed = await client.post(
        f"/deferred-signer/requests/{retried['signing_request_id']}/settle",
        json={"value_hex": _value(key, signer).hex()},
        headers=tenant.headers,
    )
    assert signed.json()["state"] == "signed"
    moved = await _dossier(client, tenant, dossier["id"])
    assert moved["state"] in {"submitting", "awaiting_activation"}, moved
    states = [event["to_state"] for event in moved["history"]]
    assert states[:6] == ["draft", "signing", "draft", "signing", "signed", "submitting"]


async def test_a_request_come_after_its_dossier_was_given_up_is_not_attached(
    client: Client,
    tenant: TenantHandle,
    key_and_signer: tuple[Any, Deferred],
    clock: ShiftedClock,
) -> None:
    """A signer call that outlives a request's lifetime: the sweep gives the dossier up
    (back to draft) meanwhile, and the request, once it comes, is failed, not attached
    to the draft.
    """
    _, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    came_late = await _fail_then_retry_sweeping_meanwhile(
        client, tenant, signer, dossier, lambda: clock.advance(dt.timedelta(minutes=16))
    )
    assert signer.seen_while_asked == ["draft"]
    assert (came_late["state"], came_late["signing_request_id"], came_late["waiting_for"]) == (
        "draft",
        None,
        None,
    )
    assert came_late["history"][-1]["reason"] == "ký số thất bại: signing_request_expired"
    request = await client.get(
        f"/signing-requests/{signer.asked[-1].request_id}", headers=tenant.headers
    )
    assert request.json()["state"] == "expired"


async def _state(tenant: TenantHandle, dossier_id: str) -> object:
    """The dossier's state as stored (inside a request, where the API cannot be asked)."""
    row = (
        await TenantScope(uuid.UUID(str(tenant.id)))
        .select(Dossier, Dossier.state)
        .where(Dossier.id == uuid.UUID(dossier_id))
        .first()
    )
    return row["state"] if row else None


async def _detach_request(tenant: TenantHandle, dossier_id: str) -> None:
    """What a process killed between a dossier's move to signing and the attaching of its
    request leaves: the dossier signing, naming no request.
    """
    await (
        TenantScope(uuid.UUID(str(tenant.id)))
        .update(Dossier, {Dossier.signing_request: None})
        .where(Dossier.id == uuid.UUID(dossier_id))
    )


@pytest.mark.sqlite
async def test_a_dossier_left_signing_without_a_request_goes_back_to_draft_in_time(
    client: Client,
    tenant: TenantHandle,
    key_and_signer: tuple[Any, Deferred],
    clock: ShiftedClock,
) -> None:
    _, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    in_app(client, _detach_request, tenant, dossier["id"])
    in_app(client, client.app.state.runtime.signatures.expire_overdue)
    # Moved a moment ago: its request may still be on its way.
    assert (await _dossier(client, tenant, dossier["id"]))["state"] == "signing"
    clock.advance(dt.timedelta(minutes=16))  # a request's lifetime (15 min) has passed
    back = await _until_not_signing(client, tenant, dossier["id"])  # the worker's cron
    assert back["state"] == "draft"
    assert back["history"][-1]["reason"] == "ký số thất bại: signing_request_expired"


async def test_a_value_from_another_key_is_refused_and_the_dossier_returns_to_draft(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[Any, Deferred]
) -> None:
    _, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    stranger = pki.new_key()
    value = stranger.sign(signer.asked[-1].to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    settled = await client.post(
        f"/deferred-signer/requests/{dossier['signing_request_id']}/settle",
        json={"value_hex": value.hex()},
        headers=tenant.headers,
    )
    assert settled.json()["failure_code"] == "signature_value_invalid"
    back = await _dossier(client, tenant, dossier["id"])
    assert back["state"] == "draft"
    assert back["history"][-1]["reason"] == "ký số thất bại: signature_value_invalid"


async def test_ebhxh_worker_jobs_run_in_the_worker_with_the_runtime(
    client: Client, tenant: TenantHandle, key_and_signer: tuple[Any, Deferred]
) -> None:
    key, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    in_app(  # the pool belongs to the app's event loop
        client,
        client.app.state.redis_pool.enqueue_job,
        "deferred_settle",
        str(tenant.id),
        dossier["signing_request_id"],
        _value(key, signer).hex(),
    )
    moved = await _until_not_signing(client, tenant, dossier["id"])
    assert moved["state"] in {"submitting", "awaiting_activation"}, moved


@pytest.mark.sqlite
async def test_a_pending_request_past_its_expiry_is_expired_by_the_worker(
    client: Client,
    tenant: TenantHandle,
    key_and_signer: tuple[Any, Deferred],
    clock: ShiftedClock,
) -> None:
    _, signer = key_and_signer
    dossier = await _signing_dossier(client, tenant, signer)
    clock.advance(dt.timedelta(minutes=16))
    read = await client.get(  # a read marks it expired at once; the cron continues the dossier
        f"/signing-requests/{dossier['signing_request_id']}", headers=tenant.headers
    )
    assert read.json()["state"] == "expired"
    back = await _until_not_signing(client, tenant, dossier["id"])
    assert back["state"] == "draft"
    assert back["history"][-1]["reason"] == "ký số thất bại: signing_request_expired"
    request = await client.get(
        f"/signing-requests/{dossier['signing_request_id']}", headers=tenant.headers
    )
    assert (request.json()["state"], request.json()["failure_code"]) == (
        "expired",
        "signing_request_expired",
    )
