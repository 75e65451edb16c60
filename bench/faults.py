"""The fault scenarios of the proof suite (issue 12, items 1-3) as one harness.

The CI tests run it with small counts; it runs on demand with the full ones:

1. `kills`: dossiers submitted through arq to the VSS sandbox by two workers while a worker
   is killed with SIGKILL at random moments (a seeded RNG picks the moments as points of
   progress and the victim; a new worker replaces it at once, as an orchestrator would).
2. `redis`: the private Redis killed and started again empty in the middle of the run; only
   the outbox in PostgreSQL and the reconciliation cron know what is left to do.
3. `sandbox`: the sandbox answers 30 % of calls with an error (503), a timeout (it hangs past
   the client's 10 s) or a dropped response (the work is done, the answer lost).

Every dossier is signed (SoftHSM2) and in the outbox before the clock starts; "go" makes the
outbox rows due and enqueues them, as signing does. The figures: submitted; completed (at
an end state, and at the sandbox); duplicates (sandbox dossiers beyond one per platform
dossier, by key and by signed document); redelivered (deliveries the sandbox absorbed by
the idempotency key); lost (not at an end state with no outbox work left to bring it
there); stuck (not at an end state when the bounded wait ends); seconds (go to the last
end state) and seconds to recover (the last fault to the last end state).

    uv run python -m bench.faults --scenario kills --dossiers 1000 --kills 10 [--seed N]
    uv run python -m bench.faults --scenario redis --dossiers 1000
    uv run python -m bench.faults --scenario sandbox --dossiers 1000
    uv run python -m bench.faults --scenario all --dossiers 1000 --kills 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from bench import stack
from ebhxh.settings import Settings

SANDBOX_FAULTS = {"timeout_rate": 0.10, "error_rate": 0.10 / 0.90, "drop_rate": 0.10 / 0.80}
"""Drawn in this order on each call: 10 % hang, 10 % answer 503, 10 % lose the answer of
work done (drops apply to submissions): 30 % of submission calls misbehave."""
SCENARIOS = ("kills", "redis", "sandbox")


@dataclass(frozen=True)
class Figures:
    """What one run proved."""

    scenario: str
    seed: int
    submitted: int
    completed: int
    duplicates: int
    redelivered: int
    lost: int
    stuck: int
    seconds: float
    recover_seconds: float | None
    """From the last fault to the last end state (None when the faults last the whole run)."""
    worker_exits: int
    """Workers that died by themselves (not killed by the run) and were started again."""
    faults: str
    unfinished: tuple[str, ...] = ()
    """For a few dossiers not at an end state: state and outbox row (to diagnose)."""

    def row(self) -> str:
        recover = "—" if self.recover_seconds is None else f"{self.recover_seconds:.1f}"
        return (
            f"| {self.scenario} | {self.submitted} | {self.completed} | {self.duplicates} | "
            f"{self.lost} | {self.stuck} | {self.redelivered} | {self.seconds:.1f} | "
            f"{recover} | {self.worker_exits} | {self.faults} (seed {self.seed}) |"
        )


HEADER = (
    "| scenario | submitted | completed | duplicates | lost | stuck | redelivered | "
    "seconds | s to recover | worker exits | faults |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


class Run:
    """One scenario's servers, dossiers and workers (build with `Run.open`)."""

    def __init__(
        self,
        folder: Path,
        database_url: str,
        pki: stack.Pki,
        lease_seconds: int,
        max_jobs: int = Settings().worker_max_jobs,
        sandbox_validators: int = 0,
    ) -> None:
        self.folder = folder
        self.sandbox = stack.SandboxProcess(folder / "vss", pki, sandbox_validators)
        self.redis = stack.PrivateRedis(folder)
        self.settings = Settings(
            database_url=database_url,
            redis_url=self.redis.url,
            queue_name=f"proof-{uuid.uuid4().hex[:8]}:queue",
            vss_url=self.sandbox.url,
            smtp_port=self.sandbox.mail.port,
            trust_store_dir=str(pki.trust_dir),
            secret_keys=(stack.SECRET_KEY,),
            outbox_lease_seconds=lease_seconds,
            worker_max_jobs=max_jobs,
            log_level="warning",
        )
        self.pki = pki
        self.made: list[stack.Made] = []
        self.workers: stack.Workers | None = None
        self.runtime: Any = None

    async def prepare(self, count: int) -> float:
        """Start the servers, make `count` signed dossiers; returns seconds spent signing."""
        from ebhxh.db.engine import open_engine
        from ebhxh.observability.logging import configure_logging
        from ebhxh.runtime import Runtime

        configure_logging("warning", json=False)
        self.redis.start()
        self.sandbox.start()
        self.runtime = Runtime(self.settings)
        await open_engine(self.runtime.engine)
        began = time.perf_counter()
        self.made = await stack.signed_dossiers(self.runtime, self.pki, count, "run")
        signing = time.perf_counter() - began
        await self._hold(dt.timedelta(days=1))  # no worker starts them before "go"
        return signing

    async def _hold(self, delay: dt.timedelta) -> None:
        from ebhxh.dossiers.tables import OutboxJob

        await OutboxJob.update({OutboxJob.due_at: dt.datetime.now(dt.UTC) + delay}).where(
            OutboxJob.done_at.is_null()
        )

    def start_workers(self, count: int) -> None:
        """Start `count` workers and wait until each has its heartbeat (bounded)."""
        import redis

        from ebhxh.worker.keys import worker_heartbeat

        self.workers = stack.Workers(self.settings, count, self.folder / "workers")
        client = redis.Redis.from_url(self.redis.url)
        try:
            stack.wait_for(
                lambda: all(
                    client.exists(worker_heartbeat(name)) for name in self.workers.processes
                ),
                60,
                "workers",
            )
        finally:
            client.close()

    async def go(self) -> None:
        """Make every outbox row due and enqueue it, as signing a dossier does."""
        from arq.connections import RedisSettings, create_pool

        from ebhxh.dossiers.jobs import enqueuer
        from ebhxh.dossiers.tables import OutboxJob

        await self._hold(dt.timedelta(0))
        rows = await OutboxJob.select(OutboxJob.id).where(OutboxJob.done_at.is_null())
        pool = await create_pool(
            RedisSettings.from_dsn(self.redis.url), default_queue_name=self.settings.queue_name
        )
        try:
            enqueue = enqueuer(pool)
            await asyncio.gather(*(enqueue(row["id"]) for row in rows))
        finally:
            await pool.aclose()

    async def finished(self) -> int:
        """How many of the run's dossiers are at an end state.

        Asked again and again while a run is timed, on the machine it measures: two array
        parameters, not an IN list of a thousand values built by the ORM at each poll.
        """
        from ebhxh.dossiers.tables import Dossier

        rows = await Dossier.raw(
            "SELECT count(*) AS n FROM dossier WHERE state = ANY({}) AND id = ANY({})",
            list(stack.END_STATES),
            [made.dossier_id for made in self.made],
        )
        return int(rows[0]["n"])

    async def figures(
        self,
        scenario: str,
        seed: int,
        timing: tuple[float, float | None, int],
        faults: str,
    ) -> Figures:
        from ebhxh.dossiers.tables import Dossier, OutboxJob

        ids = [made.dossier_id for made in self.made]
        states = {
            str(row["id"]): row["state"]
            for row in await Dossier.select(Dossier.id, Dossier.state).where(Dossier.id.is_in(ids))
        }
        pending = {
            str(row["dossier"])
            for row in await OutboxJob.select(OutboxJob.dossier).where(OutboxJob.done_at.is_null())
        }
        received = self.sandbox.received()
        by_key = Counter(key for key, _, _ in received)
        by_document = Counter(digest for _, _, digest in received)
        ours = {made.idempotency_key: str(made.dossier_id) for made in self.made}
        at_vss = {key for key in by_key if key in ours}
        finished = {d for d, state in states.items() if state in stack.END_STATES}
        completed = sum(1 for key in at_vss if ours[key] in finished)
        duplicates = (len(received) - len(at_vss)) + sum(n - 1 for n in by_document.values())
        redelivered = sum(count - 1 for key, count, _ in received if key in ours)
        unfinished = [made for made in self.made if str(made.dossier_id) not in finished]
        lost = sum(1 for made in unfinished if str(made.dossier_id) not in pending)
        details = []
        for made in unfinished[:5]:
            rows = await OutboxJob.select(
                OutboxJob.action,
                OutboxJob.attempts,
                OutboxJob.due_at,
                OutboxJob.done_at,
                OutboxJob.last_error,
            ).where(OutboxJob.dossier == made.dossier_id)
            details.append(f"{made.dossier_id} {states.get(str(made.dossier_id))} {rows}")
        return Figures(
            scenario=scenario,
            seed=seed,
            submitted=len(self.made),
            completed=completed,
            duplicates=duplicates,
            redelivered=redelivered,
            lost=lost,
            stuck=len(unfinished) - lost,
            seconds=timing[0],
            recover_seconds=timing[1],
            worker_exits=timing[2],
            faults=faults,
            unfinished=tuple(details),
        )

    async def close(self) -> None:
        from ebhxh.db.engine import close_engine

        if self.workers is not None:
            self.workers.stop()
        if self.runtime is not None:
            await self.runtime.aclose()
            await close_engine(self.runtime.engine)
        self.sandbox.stop()
        self.redis.kill()


async def _drive(
    run: Run, scenario: str, rng: random.Random, kills: int, limit: float
) -> tuple[tuple[float, float | None, int], str]:
    """Run until every dossier is at an end state or `limit` seconds pass, applying the
    scenario's faults at points of progress drawn from `rng`. Returns the seconds from go
    to the end and from the last fault to the end, the workers that exited by themselves,
    and what was done.
    """
    total = len(run.made)
    if scenario == "kills":
        moments = sorted(rng.uniform(0.02, 0.9) * total for _ in range(kills))
    elif scenario == "redis":
        moments = [rng.uniform(0.3, 0.6) * total]
    else:
        moments = []
    if scenario == "sandbox":
        run.sandbox.faults(**SANDBOX_FAULTS, seed=rng.randrange(2**31))
    assert run.workers is not None
    done_faults: list[str] = []
    restarts = 0
    await run.go()
    began = last_fault = time.monotonic()
    while time.monotonic() - began < limit:
        finished = await run.finished()
        # Faults first: a fast run may pass several kill points, or its last one, between
        # two polls; every drawn fault is applied, even when the work is done by then.
        while moments and finished >= moments[0]:
            moments.pop(0)
            if scenario == "kills":
                victim = rng.choice(sorted(run.workers.processes))
                run.workers.kill(victim)
                run.workers.start_one()
                done_faults.append(f"{victim}@{finished}")
            else:
                run.redis.kill()
                run.redis.start()
                done_faults.append(f"redis@{finished}")
            last_fault = time.monotonic()
        if finished >= total and not moments:
            break
        restarts += run.workers.restart_dead()
        await asyncio.sleep(0.1)
    end = time.monotonic()
    if scenario == "kills":
        what = f"{len(done_faults)} SIGKILLs at done-counts " + ", ".join(done_faults)
    elif scenario == "redis":
        what = "Redis killed and restarted empty at done-count " + ", ".join(done_faults)
    else:
        what = "sandbox: 10 % timeouts, 10 % 503, 10 % dropped responses"
    recover = None if scenario == "sandbox" else end - last_fault
    return (end - began, recover, restarts), what


async def run_scenario(
    scenario: str,
    dossiers: int,
    *,
    kills: int = 10,
    seed: int | None = None,
    workers: int = 2,
    limit: float = 600,
    database_url: str,
    pki: stack.Pki,
    folder: Path,
) -> Figures:
    """One scenario on its own Redis, sandbox and dossiers (in `database_url`)."""
    seed = random.randrange(2**31) if seed is None else seed
    rng = random.Random(seed)
    # A short lease: a killed worker's claims come back within seconds. With a hanging
    # sandbox a job can outlive it (the key then absorbs the second delivery).
    lease = 60 if scenario == "sandbox" else 5
    run = Run(folder / f"{scenario}-{uuid.uuid4().hex[:6]}", database_url, pki, lease)
    try:
        await run.prepare(dossiers)
        run.start_workers(workers)
        timing, what = await _drive(run, scenario, rng, kills, limit)
        return await run.figures(scenario, seed, timing, what)
    finally:
        await run.close()


def main(arguments: argparse.Namespace) -> list[Figures]:
    scenarios = SCENARIOS if arguments.scenario == "all" else (arguments.scenario,)
    results = []
    with stack.folder(arguments.keep) as folder:
        pki = stack.make_pki(folder)
        for scenario in scenarios:
            with stack.database() as url:
                figures = asyncio.run(
                    run_scenario(
                        scenario,
                        arguments.dossiers,
                        kills=arguments.kills,
                        seed=arguments.seed,
                        limit=arguments.limit,
                        database_url=url,
                        pki=pki,
                        folder=folder,
                    )
                )
            print(f"seed {figures.seed}: {msgspec.json.encode(figures.__dict__).decode()}")
            results.append(figures)
    print(HEADER)
    for figures in results:
        print(figures.row())
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--limit", type=float, default=600, help="longest wait, seconds")
    parser.add_argument("--keep", type=Path, help="keep the run's files (worker logs) here")
    main(parser.parse_args())
