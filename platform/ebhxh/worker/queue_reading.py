"""arq's worker, looking at a queue that several workers share.

arq keeps a running job in the queue until it ends. Each look at the queue reads the
oldest due job ids, running or not, and asks Redis about each in turn (four round trips)
whether it runs somewhere: with a backlog, every worker asked again and again about the
jobs the others were running. Here one pipelined round trip leaves out every id running
anywhere, before arq's own check, which still decides (it is atomic; this is not).

The ids left are tried in a random order of this worker's own: two workers walking the
same ids in the same order would both ask about each, one of them in vain. Jobs due
together start in no promised order (each outbox job checks the state it starts from); a
job due earlier waits at most for one look's jobs ahead of it.

Because running jobs stay in the queue, the jobs running at once across all workers never
exceed what one look reads: arq's default (5 x `max_jobs`, at least 100) unless
`EBHXH_WORKER_QUEUE_READ` says otherwise, for deployments of more worker pods than that.
"""

from __future__ import annotations

import random

from arq import Worker
from arq.constants import in_progress_key_prefix


class SharedQueueWorker(Worker):
    """`arq.Worker` that skips, in one round trip, the ids already running elsewhere."""

    _order = random.Random()  # noqa: S311 - spreads workers over ids, not security

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        if not job_ids:
            return
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(in_progress_key_prefix + job_id.decode())
            running = await pipe.execute()
        waiting = [job_id for job_id, taken in zip(job_ids, running, strict=True) if not taken]
        self._order.shuffle(waiting)
        await super().start_jobs(waiting)
