"""The reconciliation re-enqueues an outbox row whose arq job died with a worker before the
row was claimed: arq holds that job's id (its in-progress key) until the job timeout, so the
row gets a new id once it has stayed due for a whole lease, and a new one each lease after.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import in_progress_key_prefix, job_key_prefix
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.clock import FixedClock
from ebhxh.db.binding import system_access
from ebhxh.dossiers.jobs import reconcile
from ebhxh.dossiers.tables import OutboxJob
from ebhxh.settings import Settings
from tests.conftest import Pki, TenantHandle, in_app, settle_outbox, signed_unit

Client = AsyncTestClient[Litestar]
LEASE = dt.timedelta(seconds=30)


@pytest.fixture
def queued_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        queue_name=f"ebhxh-reconcile-{uuid.uuid4().hex[:8]}:queue",
        vss_url="http://127.0.0.1:9",
    )


@pytest.fixture
async def client(queued_settings: Settings) -> AsyncIterator[Client]:
    app = create_app(queued_settings, configure_logs=False)  # no worker: jobs stay queued
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
        in_app(test_client, settle_outbox)


async def _row(client: Client, dossier_id: str) -> dict[str, object]:
    async def read() -> dict[str, object]:
        with system_access():  # the test reads the system's outbox row
            row = await (
                OutboxJob.select(OutboxJob.id, OutboxJob.attempts, OutboxJob.due_at)
                .where(OutboxJob.dossier == uuid.UUID(dossier_id))
                .first()
            )
        assert row is not None
        return dict(row)

    return dict(in_app(client, read))


async def _after_a_dead_worker(
    redis_url: str, queue: str, first: str, due_at: dt.datetime
) -> list[int]:
    """Whether jobs `first:1` and `first:2` exist after each reconciliation.

    Job `first` is marked as taken by a worker (arq's in-progress key) that then died; the
    reconciliation runs at half a lease, one lease and two leases past `due_at`. This runs
    on the app's loop, where the database pool lives.
    """
    redis: ArqRedis = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue)
    seen = [int(await redis.exists(job_key_prefix + first))]
    await redis.set(in_progress_key_prefix + first, b"1", px=120_000)
    try:
        for late in (
            LEASE / 2,
            LEASE + dt.timedelta(seconds=1),
            2 * LEASE + dt.timedelta(seconds=1),
        ):
            await reconcile(
                {"clock": FixedClock(due_at + late), "outbox_lease": LEASE, "redis": redis}
            )
            seen += [
                int(await redis.exists(job_key_prefix + f"{first}:1")),
                int(await redis.exists(job_key_prefix + f"{first}:2")),
            ]
        return seen
    finally:
        await redis.delete(in_progress_key_prefix + first)
        await redis.aclose()


async def test_a_job_that_died_before_claiming_its_row_is_replaced_each_lease(
    client: Client, tenant: TenantHandle, test_pki: Pki, queued_settings: Settings
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    row = await _row(client, str(created.json()["id"]))
    assert row["attempts"] == 0
    due_at = row["due_at"]
    assert isinstance(due_at, dt.datetime)
    assert queued_settings.redis_url is not None
    seen = in_app(
        client,
        _after_a_dead_worker,
        queued_settings.redis_url,
        queued_settings.queue_name,
        f"outbox:{row['id']}:0",
        due_at,
    )
    assert seen[0] == 1  # queued when it was signed
    assert seen[1:3] == [0, 0]  # half a lease: it may just be queued behind others
    assert seen[3:5] == [1, 0]  # a whole lease overdue: a new job
    assert seen[5:7] == [1, 1]  # and another each lease after
