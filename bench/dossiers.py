"""Benchmark (issue 12, item 12): dossiers from signed to accepted by the VSS sandbox with
two workers, against posting the same signed documents straight to the sandbox.

Ours: N register-unit-code dossiers signed (SoftHSM2) and in the outbox; two `ebhxh worker`
processes, warm; the clock runs from "go" (the outbox rows due and enqueued, as signing
does) until every dossier is `awaiting_activation` (the sandbox accepted it, validated its
signature and mailed its activation code). Baseline: one process posting the same signed
documents (new idempotency keys) to the same sandbox, as many at a time as the two workers
run jobs (`EBHXH_WORKER_MAX_JOBS` each); run before and after ours, the median taken. The
sandbox is its own process and validates signatures in two processes of its own
(`EBHXH_SANDBOX_VALIDATORS`), for both; the target is >= 100 dossiers/s for ours.

    uv run python -m bench.dossiers [--dossiers 1000] [--max-jobs N] [--sandbox-validators N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import stack
from bench.faults import Run
from ebhxh.settings import Settings

WORKERS = 2
POLL_SECONDS = 0.5
"""How often the timed run looks whether every dossier is done. The end it reports is not
the poll's but the last dossier's own transition time (`updated_at`, stamped by the worker
that moved it), so the poll can be rare: counting a thousand ids every 20 ms, in the
process that also runs the mail catcher, took about a tenth of the machine's CPU from what
it measures and slowed the catcher's answers to the sandbox."""


async def _documents(run: Run) -> list[dict[str, Any]]:
    """The submissions the workers send, read back from the database."""
    from ebhxh.dossiers.tables import Dossier
    from ebhxh.signing.tables import SigningRequest

    rows = await SigningRequest.select(SigningRequest.signed_pdf).where(
        SigningRequest.id.is_in(
            Dossier.select(Dossier.signing_request).where(
                Dossier.id.is_in([made.dossier_id for made in run.made])
            )
        )
    )
    return [
        {
            "kind": "register-unit-code",
            "tax_code": stack.TAX_CODE,
            "unit_name": stack.UNIT_NAME,
            "email": stack.UNIT_EMAIL,
            "provider": "eBHXH",
            "document": base64.b64encode(bytes(row["signed_pdf"])).decode(),
        }
        for row in rows
    ]


async def _baseline(url: str, documents: list[dict[str, Any]], in_flight: int) -> float:
    """Post every document once (a new key each), `in_flight` at a time; seconds taken."""
    gate = asyncio.Semaphore(in_flight)

    async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        async with gate:
            response = await client.post(
                "/dossiers", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "awaiting_activation", response.text

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        began = time.perf_counter()
        await asyncio.gather(*(post(client, body) for body in documents))
        return time.perf_counter() - began


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (and its waited-for children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_processes() -> list[tuple[int, str, int]]:
    """Every process on the machine now: pid, command name, parent's pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            name, rest = stat.split(" (", 1)[1].rsplit(") ", 1)
            found.append((int(entry.name), name, int(rest.split()[1])))
    return found


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine: the postmaster counts the backends that
    ended (its waited-for children), the live ones count themselves.
    """
    return [pid for pid, name, _ in _machine_processes() if name == "postgres"]


def with_descendants(pid: int) -> list[int]:
    """`pid` and every process under it (the sandbox's validating processes)."""
    children: dict[int, list[int]] = {}
    for child, _, parent in _machine_processes():
        children.setdefault(parent, []).append(child)
    family, pending = [], [pid]
    while pending:
        member = pending.pop()
        family.append(member)
        pending.extend(children.get(member, []))
    return family


def _processes(run: Run) -> dict[str, list[int]]:
    assert run.workers is not None
    assert run.sandbox.process is not None
    assert run.redis.process is not None
    return {
        "workers": [process.pid for process in run.workers.processes.values()],
        "sandbox": [run.sandbox.process.pid],  # with its validating processes
        "redis": [run.redis.process.pid],
        "bench": [os.getpid()],  # the baseline's client; the mail catcher; polling
        "postgres": [],  # looked up at each reading: backends come and go
    }


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    def group(name: str, members: list[int]) -> float:
        if name == "postgres":
            members = postgres_pids()
        elif name == "sandbox":
            members = with_descendants(members[0])
        total = 0.0
        for pid in members:
            try:
                total += cpu_seconds(pid)
            except OSError:  # a backend that ended meanwhile: the postmaster counts it
                continue
        return total

    return {name: group(name, members) for name, members in pids.items()}


async def _ours(run: Run, limit: float) -> float:
    await run.go()
    began = time.time()  # the wall clock, which the workers stamp transitions with
    while time.time() - began < limit:
        if await run.finished() >= len(run.made):
            return await _last_transition(run) - began
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"not every dossier accepted after {limit} s")


async def _last_transition(run: Run) -> float:
    """When the last of the run's dossiers reached its end state (epoch seconds)."""
    from ebhxh.dossiers.tables import Dossier

    rows = await Dossier.raw(
        "SELECT max(updated_at) AS last FROM dossier WHERE id = ANY({})",
        [made.dossier_id for made in run.made],
    )
    last: float = rows[0]["last"].timestamp()
    return last


async def bench(
    folder: Path, database_url: str, pki: stack.Pki, count: int, max_jobs: int, validators: int
) -> dict[str, Any]:
    run = Run(
        folder / "run",
        database_url,
        pki,
        lease_seconds=180,
        max_jobs=max_jobs,
        sandbox_validators=validators,
    )
    in_flight = max_jobs * WORKERS
    try:
        signing = await run.prepare(count)
        documents = await _documents(run)
        run.start_workers(WORKERS)
        pids = _processes(run)
        before = _cpu(pids)
        first = await _baseline(run.sandbox.url, documents, in_flight)
        between = _cpu(pids)
        ours = await _ours(run, limit=600)
        after = _cpu(pids)
        second = await _baseline(run.sandbox.url, documents, in_flight)
    finally:
        await run.close()
    cpu = {
        "baseline": {name: between[name] - before[name] for name in pids},
        "ours": {name: after[name] - between[name] for name in pids},
    }
    return {"signing": signing, "baselines": [first, second], "ours": ours, "cpu": cpu}


def machine_speed() -> float:
    """Seconds a fixed Python loop takes here now: the same work cost this machine from
    0.50 to 1.05 s on different days, so each run says how fast the machine was.
    """
    began = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - began


def main(count: int, max_jobs: int, validators: int, keep: Path | None) -> None:
    print(f"machine speed probe (a fixed loop; 0.50 s at its fastest): {machine_speed():.2f} s")
    with stack.folder(keep) as folder:
        pki = stack.make_pki(folder)
        with stack.database() as url:
            result = asyncio.run(bench(folder, url, pki, count, max_jobs, validators))
    baseline = statistics.median(result["baselines"])
    ours = result["ours"]
    print(
        f"dossiers: {count}; signing them beforehand took {result['signing']:.1f} s; "
        f"the sandbox validates in {validators or 'no'} process(es) of its own"
    )
    print(
        f"baseline (one process posting the signed documents, {max_jobs * WORKERS} in flight): "
        + ", ".join(f"{count / s:.0f}/s" for s in result["baselines"])
        + f"; median {count / baseline:.0f}/s"
    )
    print(
        f"ours ({WORKERS} workers, signed -> accepted by the sandbox): {ours:.2f} s, "
        f"{count / ours:.0f} dossiers/s (target >= 100/s)"
    )
    print(f"ratio ours/baseline: {baseline / ours:.2f}")
    for phase, spent in result["cpu"].items():
        print(
            f"CPU per dossier during the {phase} run: "
            + ", ".join(
                f"{name} {seconds / count * 1000:.1f} ms" for name, seconds in spent.items()
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=Settings().worker_max_jobs,
        help="jobs each worker runs at once (default: the platform's default)",
    )
    parser.add_argument(
        "--sandbox-validators",
        type=int,
        default=2,
        help="processes the sandbox validates signatures in (0: on its event loop)",
    )
    parser.add_argument("--keep", type=Path, help="keep the run's files (worker logs) here")
    arguments = parser.parse_args()
    main(arguments.dossiers, arguments.max_jobs, arguments.sandbox_validators, arguments.keep)
