"""Measure arq jobs: a wrapper that counts each run's outcome and times it.

A wrapper rather than arq's `on_job_start`/`after_job_end` hooks, because the hooks are not
told how the job ended; the wrapper sees the result, the exception or the cancellation.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from arq import Retry

from ebhxh.metrics.observe import outcome_of
from ebhxh.metrics.series import JOB_RUNS, JOB_SECONDS

R = TypeVar("R")
Job = Callable[..., Coroutine[Any, Any, R]]


def measured(job: Job[R]) -> Job[R]:
    """`job` counted in `ebhxh_jobs_total` and timed in `ebhxh_job_duration_seconds`.

    `functools.wraps` keeps the name arq registers the job under.
    """
    name = job.__name__

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> R:
        with outcome_of(
            JOB_RUNS,
            JOB_SECONDS,
            name,
            success="success",
            failure="failed",
            known=((Retry, "retried"), (asyncio.CancelledError, "cancelled")),
        ):
            return await job(ctx, *args, **kwargs)

    return run
