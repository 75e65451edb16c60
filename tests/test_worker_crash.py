"""A worker killed with SIGKILL in the middle of a submission, while the sandbox also loses
every first response: the work is picked up again and VSS still has exactly one dossier.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.db.binding import system_access
from ebhxh.demo.threaded import ThreadedServer, free_port
from ebhxh.dossiers.tables import OutboxJob
from ebhxh.settings import Settings
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.inbox import MailCatcher
from ebhxh.vss_sandbox.settings import SandboxSettings
from tests.conftest import Pki, TenantHandle, in_app, settle_outbox, signed_unit, start_worker

Client = AsyncTestClient[Litestar]


@pytest.fixture
def sandbox(tmp_path: Path, test_pki: Pki) -> Iterator[str]:
    mail = MailCatcher(tmp_path / "mail", port=free_port())
    mail.start()
    server = ThreadedServer(
        create_sandbox_app(
            SandboxSettings(
                database_path=str(tmp_path / "vss.sqlite3"),
                smtp_port=mail.port,
                trust_store_dir=str(test_pki.trust_dir),
            )
        )
    )
    server.start()
    yield server.url
    server.stop()
    mail.stop()


@pytest.fixture
def crash_settings(settings: Settings, sandbox: str) -> Settings:
    return msgspec.structs.replace(
        settings,
        vss_url=sandbox,
        queue_name=f"ebhxh-crash-{uuid.uuid4().hex[:8]}:queue",
        outbox_lease_seconds=2,
    )


@pytest.fixture
async def client(crash_settings: Settings) -> AsyncIterator[Client]:
    app = create_app(crash_settings, configure_logs=False)  # no worker in this process
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        in_app(test_client, settle_outbox)
        yield test_client
        in_app(test_client, settle_outbox)


async def _attempts(client: Client, dossier_id: str) -> int:
    async def read() -> int:
        with system_access():
            row = (
                await OutboxJob.select(OutboxJob.attempts)
                .where(OutboxJob.dossier == uuid.UUID(dossier_id))
                .first()
            )
        return int(row["attempts"]) if row else 0

    return int(in_app(client, read))


async def _submission_in_flight(client: Client, tenant: TenantHandle, unit_id: str) -> str:
    """Create a dossier and return once a worker has claimed its submission and has been
    waiting on the (slowed) sandbox for half a second.
    """
    created = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    dossier_id = str(created.json()["id"])
    for _ in range(300):
        if await _attempts(client, dossier_id) >= 1:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    return dossier_id


async def test_a_worker_killed_mid_submission_loses_nothing_and_duplicates_nothing(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: str, crash_settings: Settings
) -> None:
    vss = httpx.AsyncClient(base_url=sandbox, timeout=10)
    await vss.post("/test/faults", json={"latency_ms": 1500, "drop_first_response": True})
    unit_id = await signed_unit(client, tenant, test_pki)
    first = start_worker(crash_settings)
    try:
        dossier_id = await _submission_in_flight(client, tenant, unit_id)
        first.send_signal(signal.SIGKILL)  # mid-submission: VSS has it, we never hear back
        first.wait(timeout=10)
        await vss.post("/test/faults", json={"drop_first_response": True})
    finally:
        if first.poll() is None:
            first.kill()
    second = start_worker(crash_settings)
    try:
        state = None
        for _ in range(600):
            state = (await client.get(f"/dossiers/{dossier_id}", headers=tenant.headers)).json()
            if state["state"] == "awaiting_activation":
                break
            await asyncio.sleep(0.05)
        assert state is not None and state["state"] == "awaiting_activation", state
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    deliveries = (await vss.get("/test/deliveries")).json()
    await vss.aclose()
    assert len(deliveries) == 1, deliveries  # exactly one dossier at VSS
    assert next(iter(deliveries.values())) >= 2  # delivered again after the crash
    assert await _attempts(client, dossier_id) >= 2


async def test_a_worker_stopped_mid_submission_finishes_it_before_exiting(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: str, crash_settings: Settings
) -> None:
    """SIGTERM (a rolling update) while VSS takes 3 s to answer: the worker takes no new
    job, finishes this one, then exits 0; the work is done once, by that worker.
    """
    vss = httpx.AsyncClient(base_url=sandbox, timeout=10)
    await vss.post("/test/faults", json={"latency_ms": 3000})
    unit_id = await signed_unit(client, tenant, test_pki)
    worker = start_worker(crash_settings)
    try:
        dossier_id = await _submission_in_flight(client, tenant, unit_id)
        worker.send_signal(signal.SIGTERM)
        state_at_signal = (
            await client.get(f"/dossiers/{dossier_id}", headers=tenant.headers)
        ).json()["state"]
        exit_code = await asyncio.to_thread(worker.wait, 30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert state_at_signal == "submitting"
    assert exit_code == 0
    # Finished before the process ended: no second worker, no lease to wait out.
    state = (await client.get(f"/dossiers/{dossier_id}", headers=tenant.headers)).json()
    assert state["state"] == "awaiting_activation", state
    assert await _attempts(client, dossier_id) == 1
    deliveries = (await vss.get("/test/deliveries")).json()
    await vss.aclose()
    assert list(deliveries.values()) == [1]
