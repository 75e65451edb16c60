"""The remote signer type ("remote_csc", plugin `ebhxh-signer-remote-csc`) end to end: the
platform and its worker, the CSC sandbox over HTTP (issuing from the session's test CA, so
the platform and the VSS sandbox trust its certificates), the VSS sandbox, caught mail.
The signer's approvals are given (or refused) through the sandbox's control endpoints, as
`ebhxh csc-sandbox approve` does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from ebhxh.csc_sandbox.app import create_csc_sandbox_app
from ebhxh.csc_sandbox.model import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxState
from ebhxh.demo.threaded import ThreadedServer
from ebhxh.signing.certificates import summarise
from ebhxh.vss_sandbox.inbox import MailCatcher
from ebhxh.worker.keys import plugin_key
from ebhxh_signer_remote_csc.client import CscClient, CscRefused
from ebhxh_signer_remote_csc.poll import csc_poll
from ebhxh_signer_remote_csc.signer import NAME
from tests.conftest import REDIS_URL, Pki, TenantHandle
from tests.deferred_signer import unit_signing_with
from tests.lifecycle.helpers import Client, Sandbox, activate, until

USER = "songhong"
WAITING = "chờ phê duyệt trên ứng dụng ký số"


class Csc:
    """The CSC sandbox under test: its state, URL, and the signer's phone."""

    def __init__(self, state: SandboxState, server: ThreadedServer) -> None:
        self.state = state
        self.url = server.url
        self.company = state.add_user(USER, "CÔNG TY CỔ PHẦN SÔNG HỒNG", "MST:0100109106")
        self.personal = state.add_user(USER, "Nguyễn Văn An", "CCCD:001085012345")

    def access(self) -> dict[str, Any]:
        return {
            "signer_type": "remote_csc",
            "settings": {"base_url": self.url, "client_id": DEFAULT_CLIENT_ID, "user_id": USER},
            "secrets": {"client_secret": DEFAULT_CLIENT_SECRET},
        }

    def setup(self, certificate: bytes | None = None) -> dict[str, Any]:
        chosen = certificate or self.company.certificate
        return {**self.access(), "certificate_sha256": summarise(chosen).sha256}

    def faults(self, **plan: Any) -> None:
        response = httpx.put(f"{self.url}/sandbox/faults", json=plan, timeout=10)
        assert response.status_code == 200, response.text

    async def waiting(self) -> dict[str, Any]:
        """The one authorization waiting for the signer (waits for it: up to 30 s)."""
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            found = (await asyncio.to_thread(httpx.get, f"{self.url}/sandbox/transactions")).json()
            if found:
                assert len(found) == 1, found
                item: dict[str, Any] = found[0]
                return item
            assert asyncio.get_running_loop().time() < deadline, "nothing waits for approval"
            await asyncio.sleep(0.1)

    async def decide(self, decision: str) -> dict[str, Any]:
        waiting = await self.waiting()
        response = await asyncio.to_thread(
            httpx.post, f"{self.url}/sandbox/transactions/{waiting['id']}/{decision}"
        )
        assert response.status_code == 200, response.text
        return waiting


@pytest.fixture
def csc(test_pki: Pki) -> Iterator[Csc]:
    state = SandboxState(ca=test_pki.ca)
    server = ThreadedServer(create_csc_sandbox_app(state))
    server.start()
    yield Csc(state, server)
    server.stop()


async def _signing(
    client: Client, tenant: TenantHandle, unit_id: str, kind: str = "register-unit-code"
) -> dict[str, Any]:
    created = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": kind}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    dossier: dict[str, Any] = created.json()
    assert (dossier["state"], dossier["waiting_for"]) == ("signing", WAITING)
    return dossier


async def test_a_dossier_signed_through_the_csc_sandbox_goes_through_the_lifecycle(
    client: Client, tenant: TenantHandle, csc: Csc, sandbox: Sandbox, mail: MailCatcher
) -> None:
    csc.faults(fail_next=2)  # a transient outage: the client's retries absorb it
    unit_id = await unit_signing_with(client, tenant, csc.setup())
    offered = await client.post(
        f"/units/{unit_id}/signature/certificates", json=csc.access(), headers=tenant.headers
    )
    problems = {c["sha256"]: c["problem_code"] for c in offered.json()["certificates"]}
    assert problems == {
        summarise(csc.company.certificate).sha256: None,
        summarise(csc.personal.certificate).sha256: "cert_personal",
    }

    dossier = await _signing(client, tenant, unit_id)
    approved = await csc.decide("approve")
    assert "Công ty Cổ phần Sông Hồng · tk3-ts" in approved["description"]
    waiting = await until(client, tenant, dossier["id"], "awaiting_activation")
    document = await client.get(
        f"/signing-requests/{waiting['signing_request_id']}/document", headers=tenant.headers
    )
    assert document.content.startswith(b"%PDF-")
    assert [len(base64.b64decode(h)) for h in approved["hashes"]] == [32]  # one SHA-256

    await activate(client, tenant, mail, waiting)
    sandbox.approve(waiting["receipt_id"])
    unit_code = (await until(client, tenant, dossier["id"], "approved"))["issued_unit_code"]
    change = await client.put(
        f"/units/{unit_id}/unit-code", json={"unit_code": unit_code}, headers=tenant.headers
    )
    assert (change.json()["state"], change.json()["waiting_for"]) == ("signing", WAITING)
    await csc.decide("approve")
    await until(client, tenant, change.json()["id"], "accepted")

    registration = await _signing(client, tenant, unit_id, "service-registration")
    await csc.decide("approve")
    awaiting = await until(client, tenant, registration["id"], "awaiting_activation")
    assert (await activate(client, tenant, mail, awaiting))["state"] == "active"


async def _back_to_draft(
    client: Client, tenant: TenantHandle, dossier: dict[str, Any], code: str
) -> None:
    draft = await until(client, tenant, dossier["id"], "draft")
    assert draft["history"][-1]["reason"] == f"ký số thất bại: {code}"
    request = await client.get(
        f"/signing-requests/{dossier['signing_request_id']}", headers=tenant.headers
    )
    assert (request.json()["state"], request.json()["failure_code"]) == ("failed", code)


@pytest.mark.parametrize(
    ("plan", "decision", "code"),
    [
        ({}, "refuse", "csc_approval_refused"),
        ({"approval_seconds": 1}, None, "csc_approval_expired"),  # never approved
        # the SAD expires before signHash: the service refuses it, or we do not even try
        ({"sad_seconds": 0, "reported_sad_seconds": 300}, "approve", "csc_sad_expired"),
        ({"sad_seconds": 300, "reported_sad_seconds": 1}, "approve", "csc_sad_expired"),
        ({"bind_wrong_hash": True}, "approve", "csc_hash_mismatch"),
    ],
    ids=["refused", "never-approved", "sad-expired-at-service", "sad-expired-seen", "wrong-hash"],
)
async def test_a_failed_remote_signing_returns_the_dossier_to_draft_with_the_reason(
    client: Client,
    tenant: TenantHandle,
    csc: Csc,
    sandbox: Sandbox,
    plan: dict[str, Any],
    decision: str | None,
    code: str,
) -> None:
    csc.faults(**plan)
    unit_id = await unit_signing_with(client, tenant, csc.setup())
    dossier = await _signing(client, tenant, unit_id)
    if decision:
        await csc.decide(decision)
    await _back_to_draft(client, tenant, dossier, code)


async def test_the_service_refuses_a_sign_hash_for_a_hash_the_sad_does_not_cover(
    csc: Csc,
) -> None:
    async with CscClient(csc.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET) as client:
        [credential] = [c for c in await client.credentials(USER) if c == csc.company.credential_id]
        response_id = await client.authorize(credential, [hashlib.sha256(b"A").digest()], "A")
        csc.state.decide(response_id, approve=True)
        approval = await client.authorize_check(response_id)
        assert approval.sad and approval.expires_in == 300
        with pytest.raises(CscRefused, match="Hash not authorized"):
            await client.sign_hash(credential, approval.sad, [hashlib.sha256(b"B").digest()])
        [value] = await client.sign_hash(credential, approval.sad, [hashlib.sha256(b"A").digest()])
        assert len(value) == 256
        with pytest.raises(CscRefused, match="numSignatures exceeded"):  # multisign 1: used up
            await client.sign_hash(credential, approval.sad, [hashlib.sha256(b"A").digest()])


async def test_a_service_down_at_the_request_leaves_a_draft_with_a_clear_status(
    client: Client, tenant: TenantHandle, csc: Csc, sandbox: Sandbox
) -> None:
    unit_id = await unit_signing_with(client, tenant, csc.setup())
    csc.faults(down=True)
    refused = await client.post(
        f"/units/{unit_id}/dossiers",
        json={"kind": "register-unit-code"},
        headers={**tenant.headers, "Accept-Language": "en"},
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "csc_service_unavailable")
    assert "remote signing service" in refused.json()["detail"]
    dossiers = await client.get(f"/units/{unit_id}/dossiers", headers=tenant.headers)
    [draft] = dossiers.json()["dossiers"]
    assert draft["state"] == "draft"
    assert draft["history"][-1]["reason"] == "ký số thất bại: csc_service_unavailable"


async def test_a_service_down_while_polling_is_retried_then_fails_clearly(
    client: Client, tenant: TenantHandle, csc: Csc, sandbox: Sandbox
) -> None:
    unit_id = await unit_signing_with(client, tenant, csc.setup())
    dossier = await _signing(client, tenant, unit_id)
    csc.faults(down=True)
    deadline = asyncio.get_running_loop().time() + 30
    while True:  # meanwhile the dossier says the service is being retried
        polled = (await client.get(f"/dossiers/{dossier['id']}", headers=tenant.headers)).json()
        if "không phản hồi" in (polled["waiting_for"] or ""):
            break
        assert asyncio.get_running_loop().time() < deadline, polled
        await asyncio.sleep(0.1)
    assert polled["state"] == "signing"
    await _back_to_draft(client, tenant, dossier, "csc_service_unavailable")


async def test_a_personal_certificate_from_the_service_is_refused_for_a_company(
    client: Client, tenant: TenantHandle, csc: Csc, sandbox: Sandbox
) -> None:
    with pytest.raises(AssertionError, match="cert_personal"):
        await unit_signing_with(client, tenant, csc.setup(csc.personal.certificate))


async def test_a_poll_runs_only_while_no_other_worker_of_the_deployment_holds_its_lock() -> None:
    deployment, other = f"ebhxh-test-{uuid.uuid4().hex[:8]}:queue", "another:queue"
    ctx: dict[str, Any] = {
        "redis": Redis.from_url(REDIS_URL),
        "runtime": SimpleNamespace(settings=SimpleNamespace(queue_name=deployment)),
    }
    held = ctx["redis"].lock(plugin_key(deployment, NAME, "poll"), timeout=30)
    elsewhere = ctx["redis"].lock(plugin_key(other, NAME, "poll"), timeout=30)
    try:
        assert await held.acquire(blocking=False)
        assert await elsewhere.acquire(blocking=False)  # another deployment's: apart
        assert await csc_poll(ctx) == 0  # skipped: no request polled, no runtime touched
        assert await held.owned()  # and the holder's lock is left alone
    finally:
        await held.release()
        await elsewhere.release()
        await ctx["redis"].aclose()
