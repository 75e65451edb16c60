"""`ebhxh worker`: an arq worker only (production runs these as their own pods)."""

from __future__ import annotations

import asyncio
import signal

import click

from ebhxh.cli.common import load_settings
from ebhxh.db.engine import close_engine, open_engine
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.worker.redis import locate_redis
from ebhxh.worker.settings import build_worker


async def _run_worker(settings: Settings) -> None:
    runtime = Runtime(settings)
    await open_engine(runtime.engine)
    redis = locate_redis(settings)
    worker = build_worker(runtime, redis.settings, settings.queue_name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(worker.async_run())
    try:
        await asyncio.wait(
            [task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        await worker.close()
        await runtime.aclose()
        await close_engine(runtime.engine)
        redis.close()


@click.command()
def worker() -> None:
    """Run an arq worker on the configured Redis until SIGTERM or Ctrl-C."""
    settings = load_settings()
    if settings.embedded and not settings.redis_url:
        click.echo("Note: no EBHXH_REDIS_URL; using the embedded Redis in the data folder.")
    asyncio.run(_run_worker(settings))
