"""`ebhxh worker`: an arq worker only (production runs these as their own pods), and
`ebhxh worker probe`, the pod's liveness check on that worker's own heartbeat.

On SIGTERM or Ctrl-C the worker stops taking jobs, lets running ones finish (up to
`job_timeout_seconds`), then exits: a rolling update loses no work in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any

import click
import redis
from arq import Worker

from ebhxh.cli.common import load_settings
from ebhxh.db.engine import close_engine, open_engine
from ebhxh.metrics.server import serve_worker_metrics
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.worker.probe import TIMEOUT_SECONDS, check
from ebhxh.worker.redis import locate_redis
from ebhxh.worker.resilient import run_replacing_on_redis_loss
from ebhxh.worker.settings import build_worker


async def _run_worker(settings: Settings) -> None:
    runtime = Runtime(settings)
    await open_engine(runtime.engine)
    redis = locate_redis(settings)
    metrics = serve_worker_metrics(settings)
    current: list[Worker] = []

    def stop(signum: signal.Signals) -> None:
        # arq's own graceful stop: no new jobs, wait `job_completion_wait` for running
        # ones, then cancel what is left (arq re-queues a cancelled job) and end `main`.
        current[-1].handle_sig_wait_for_completion(signum)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await run_replacing_on_redis_loss(
                lambda: build_worker(runtime, redis.settings, settings.queue_name),
                current.append,
            )
    finally:
        await runtime.aclose()
        await close_engine(runtime.engine)
        redis.close()
        if metrics is not None:
            metrics.shutdown()


@click.group(invoke_without_command=True)
@click.pass_context
def worker(context: click.Context) -> None:
    """Run an arq worker on the configured Redis until SIGTERM or Ctrl-C."""
    if context.invoked_subcommand is not None:
        return
    settings = load_settings()
    if settings.embedded and not settings.redis_url:
        click.echo("Note: no EBHXH_REDIS_URL; using the embedded Redis in the data folder.")
    _run(_run_worker(settings))


def _run(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on uvloop where it is installed (uvicorn's standard extra brings it on
    Linux), else on asyncio's own loop: a worker's jobs are mostly waiting on sockets
    (PostgreSQL, Redis, VSS), where uvloop spends about 7 % less CPU per job.
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(work)
        return
    uvloop.run(work)


@worker.command()
def probe() -> None:
    """Exit 0 when this worker's heartbeat is fresh (EBHXH_WORKER_ID names it), else 1.

    Pods run the lighter `python -m ebhxh.worker.probe`, the same check.
    """
    settings = load_settings()
    location = locate_redis(settings)  # the embedded default's Redis too
    redis_settings = location.settings
    client = redis.Redis(
        host=redis_settings.host if isinstance(redis_settings.host, str) else "localhost",
        port=redis_settings.port,
        unix_socket_path=redis_settings.unix_socket_path,
        password=redis_settings.password,
        db=redis_settings.database,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    try:
        problem = check(client, settings.worker_id)
    finally:
        location.close()
    if problem:
        raise click.ClickException(problem)
    click.echo("alive")
