"""Probes and the arq worker on the real Redis: readiness, per-worker heartbeat, a job."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import Worker, func
from arq.connections import RedisSettings
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.worker.heartbeat import live_workers
from ebhxh.worker.keys import worker_heartbeat
from ebhxh.worker.redis import connect_lazily
from ebhxh.worker.resilient import close_dead_worker
from ebhxh.worker.settings import build_worker
from tests.conftest import REDIS_URL


@pytest.mark.sqlite
async def test_health_and_ready(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    health = await client.get("/health")
    assert health.json() == {"status": "ok", "version": "0.1.0"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.json()["redis"] == "ok"


async def test_ready_is_503_naming_redis_when_it_is_down(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(app=create_app(settings, configure_logs=False)) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "database": "ok",
            "redis": "unavailable",
            "workers": [],
        }
        assert (await client.get("/health")).status_code == 200


async def test_ready_is_503_naming_the_database_when_it_is_down(pg_url: str) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/ebhxh_no_such_database"
    settings = Settings(database_url=missing, redis_url=REDIS_URL)
    with pytest.warns(Warning, match="Unable to fetch server version"):  # Piccolo, at build
        app = create_app(settings, configure_logs=False)
    async with AsyncTestClient(app=app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert (ready.json()["database"], ready.json()["redis"]) == ("unavailable", "ok")


@contextlib.asynccontextmanager
async def _worker_that_ran_a_job(pg_url: str) -> AsyncIterator[tuple[Worker, Any, str]]:
    """A platform worker on a queue of its own that has run the canary job: the worker,
    an ArqRedis on its queue and the worker's id. Left running (cancelled at the end).
    """
    queue = f"ebhxh-test-{uuid.uuid4().hex[:8]}:queue"
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    runtime = Runtime(Settings(database_url=pg_url, redis_url=REDIS_URL))
    worker = build_worker(runtime, redis_settings, queue, poll_delay=0.05, cron_jobs=[])
    task = asyncio.create_task(worker.async_run())
    redis = connect_lazily(redis_settings, queue)
    try:
        job = await redis.enqueue_job("canary")
        assert job is not None
        yield worker, redis, await job.result(timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()
        await runtime.aclose()


async def test_a_worker_runs_jobs_and_has_its_own_heartbeat(pg_url: str) -> None:
    async with _worker_that_ran_a_job(pg_url) as (worker, redis, worker_id):
        assert worker_id in await live_workers(redis)
        ttl = await redis.ttl(worker_heartbeat(worker_id))
        assert 0 < ttl <= 30
        await worker.close()
        assert await redis.exists(worker_heartbeat(worker_id)) == 0
        assert worker_id not in await live_workers(redis)


async def test_a_worker_runs_as_many_jobs_at_once_as_the_setting_allows(pg_url: str) -> None:
    queue = f"ebhxh-test-{uuid.uuid4().hex[:8]}:queue"
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    runtime = Runtime(Settings(database_url=pg_url, redis_url=REDIS_URL, worker_max_jobs=2))
    running: set[int] = set()
    peak = 0

    async def wait_a_little(ctx: dict[str, object], number: int) -> None:
        nonlocal peak
        running.add(number)
        peak = max(peak, len(running))
        await asyncio.sleep(0.2)  # long enough for every free slot to be filled meanwhile
        running.discard(number)

    worker = build_worker(
        runtime,
        redis_settings,
        queue,
        poll_delay=0.01,
        cron_jobs=[],
        functions=[func(wait_a_little, name="wait_a_little")],
    )
    redis = connect_lazily(redis_settings, queue)
    jobs = [await redis.enqueue_job("wait_a_little", number) for number in range(6)]
    task = asyncio.create_task(worker.async_run())
    try:
        for job in jobs:
            assert job is not None
            await job.result(timeout=10)
    finally:
        await worker.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()
        await runtime.aclose()
    assert peak == 2


async def test_a_dead_worker_is_closed_even_when_a_job_of_it_ends_cancelled(pg_url: str) -> None:
    """The `close` of arq cancels the running jobs and gathers them; one cancelled before arq's
    own handler ran ends cancelled. Replacing a worker that lost Redis must still stop its
    heartbeat task, and must not take that for a stop of the process (a proof run once lost
    a worker process to it).
    """
    async with _worker_that_ran_a_job(pg_url) as (worker, redis, worker_id):
        assert worker_id in await live_workers(redis)
        worker.tasks["cancelled-early"] = asyncio.create_task(asyncio.sleep(60))
        await close_dead_worker(worker)  # returns: no CancelledError
        assert worker.ctx["heartbeat"].done()
