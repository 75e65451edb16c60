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
from arq.constants import in_progress_key_prefix
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


async def _most_running_at_once(
    pg_url: str, settings: dict[str, Any], workers: int, jobs: int
) -> tuple[int, list[int]]:
    """Run `jobs` jobs of 0.3 s on `workers` platform workers sharing a queue; the most
    that ran at once, and how many each worker ran.
    """
    queue = f"ebhxh-test-{uuid.uuid4().hex[:8]}:queue"
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    runtime = Runtime(Settings(database_url=pg_url, redis_url=REDIS_URL, **settings))
    running: set[int] = set()
    peak = 0

    async def wait_a_little(ctx: dict[str, object], number: int) -> None:
        nonlocal peak
        running.add(number)
        peak = max(peak, len(running))
        await asyncio.sleep(0.3)  # long enough for every free slot to be filled meanwhile
        running.discard(number)

    built = [
        build_worker(
            runtime,
            redis_settings,
            queue,
            poll_delay=0.01,
            cron_jobs=[],
            functions=[func(wait_a_little, name="wait_a_little")],
        )
        for _ in range(workers)
    ]
    redis = connect_lazily(redis_settings, queue)
    queued = [await redis.enqueue_job("wait_a_little", number) for number in range(jobs)]
    tasks = [asyncio.create_task(worker.async_run()) for worker in built]
    try:
        for job in queued:
            assert job is not None
            await job.result(timeout=20)
    finally:
        for worker in built:
            await worker.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()
        await runtime.aclose()
    return peak, [worker.jobs_complete for worker in built]


async def test_a_worker_runs_as_many_jobs_at_once_as_the_setting_allows(pg_url: str) -> None:
    peak, _ = await _most_running_at_once(pg_url, {"worker_max_jobs": 2}, workers=1, jobs=6)
    assert peak == 2


async def test_workers_sharing_a_queue_run_their_jobs_at_once_between_them(pg_url: str) -> None:
    """Workers sharing a queue fill their slots between them (each leaves out the jobs the
    other runs). A running job stays in arq's queue, so what runs at once across workers
    is bounded by what one look at the queue reads (`worker_queue_read`).
    """
    peak, ran = await _most_running_at_once(pg_url, {"worker_max_jobs": 3}, workers=2, jobs=12)
    assert peak == 6
    assert sum(ran) == 12 and min(ran) > 0
    # And the limit holds: reading 4 ids at a look, they never run more than 4.
    peak, ran = await _most_running_at_once(
        pg_url, {"worker_max_jobs": 3, "worker_queue_read": 4}, workers=2, jobs=12
    )
    assert peak == 4
    assert sum(ran) == 12
    assert Settings(worker_max_jobs=30).queue_read == 150  # unset: arq's own
    with pytest.raises(ValueError, match="could not fill its own slots"):
        Settings(worker_max_jobs=10, worker_queue_read=5)


async def test_a_worker_leaves_out_the_jobs_running_elsewhere(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the ids no worker runs reach arq's own check, each once, in any order."""
    queue = f"ebhxh-test-{uuid.uuid4().hex[:8]}:queue"
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    runtime = Runtime(Settings(database_url=pg_url, redis_url=REDIS_URL))
    worker = build_worker(runtime, redis_settings, queue, cron_jobs=[])
    redis = connect_lazily(redis_settings, queue)
    worker._pool = redis
    ids = [f"{queue}:job-{n}".encode() for n in range(8)]
    running = {ids[1], ids[4], ids[5]}
    for job_id in running:
        await redis.psetex(in_progress_key_prefix + job_id.decode(), 10_000, b"1")
    handed: list[bytes] = []

    async def arqs_own(self: Worker, job_ids: list[bytes]) -> None:
        handed.extend(job_ids)

    monkeypatch.setattr(Worker, "start_jobs", arqs_own)
    try:
        await worker.start_jobs(ids)
    finally:
        await redis.delete(*(in_progress_key_prefix + j.decode() for j in running))
        await redis.aclose()
        await runtime.aclose()
    assert sorted(handed) == sorted(set(ids) - running)


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
