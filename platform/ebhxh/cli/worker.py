"""`ebhxh worker`: an arq worker only (production runs these as their own pods), and
`ebhxh worker probe`, the pod's liveness check on that worker's own heartbeat.

On SIGTERM or Ctrl-C the worker stops taking jobs, lets running ones finish (up to
`job_timeout_seconds`), then exits: a rolling update loses no work in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from ebhxh.cli.common import load_settings
from ebhxh.db.engine import close_engine, open_engine
from ebhxh.metrics.server import serve_worker_metrics
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.worker.heartbeat import heartbeat_fresh
from ebhxh.worker.redis import connect_lazily, locate_redis
from ebhxh.worker.settings import build_worker

PROBE_TIMEOUT_SECONDS = 5.0


async def _run_worker(settings: Settings) -> None:
    runtime = Runtime(settings)
    await open_engine(runtime.engine)
    redis = locate_redis(settings)
    worker = build_worker(runtime, redis.settings, settings.queue_name)
    metrics = serve_worker_metrics(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # arq's own graceful stop: no new jobs, wait `job_completion_wait` for running
        # ones, then cancel what is left (arq re-queues a cancelled job) and end `main`.
        loop.add_signal_handler(signum, worker.handle_sig_wait_for_completion, signum)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.async_run()
    finally:
        await worker.close()
        await runtime.aclose()
        await close_engine(runtime.engine)
        redis.close()
        if metrics is not None:
            metrics.shutdown()


async def _probe(settings: Settings) -> bool:
    redis = locate_redis(settings)
    pool = connect_lazily(redis.settings, settings.queue_name)
    try:
        return await asyncio.wait_for(
            heartbeat_fresh(pool, settings.worker_id), PROBE_TIMEOUT_SECONDS
        )
    finally:
        await pool.aclose()
        redis.close()


@click.group(invoke_without_command=True)
@click.pass_context
def worker(context: click.Context) -> None:
    """Run an arq worker on the configured Redis until SIGTERM or Ctrl-C."""
    if context.invoked_subcommand is not None:
        return
    settings = load_settings()
    if settings.embedded and not settings.redis_url:
        click.echo("Note: no EBHXH_REDIS_URL; using the embedded Redis in the data folder.")
    asyncio.run(_run_worker(settings))


@worker.command()
def probe() -> None:
    """Exit 0 when this worker's heartbeat is fresh (EBHXH_WORKER_ID names it), else 1."""
    settings = load_settings()
    try:
        alive = asyncio.run(_probe(settings))
    except Exception as exc:  # Redis unreachable: not alive; say why
        raise click.ClickException(f"cannot read the heartbeat: {type(exc).__name__}") from exc
    if not alive:
        who = settings.worker_id or "any worker on this host"
        raise click.ClickException(f"no fresh heartbeat for {who}")
    click.echo("alive")
