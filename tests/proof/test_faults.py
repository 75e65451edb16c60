"""The fault scenarios of the proof suite (issue 12, items 1-3) in their short form: the
harness of `bench.faults` with a few dozen dossiers instead of 1,000. Every server is real
and on 127.0.0.1 (a database of the test's own, a private Redis, the sandbox in its own
process, `ebhxh worker` processes); every wait is bounded.

The long form: `uv run python -m bench.faults --scenario all --dossiers 1000 --kills 10`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench import faults, stack
from tests.conftest import PG_ADMIN_DSN, Pki

DOSSIERS = 40


@pytest.fixture
def proof_pki(test_pki: Pki) -> stack.Pki:
    """The session's SoftHSM2 token and trust store, as the harness takes them."""
    return stack.Pki(
        certificate=test_pki.organisation,
        trust_dir=test_pki.trust_dir,
        token=test_pki.TOKEN,
        pin=test_pki.PIN,
    )


def _run(scenario: str, pki: stack.Pki, folder: Path, **options: int) -> faults.Figures:
    with stack.database(PG_ADMIN_DSN) as url:
        figures = asyncio.run(
            faults.run_scenario(
                scenario,
                DOSSIERS,
                database_url=url,
                pki=pki,
                folder=folder,
                limit=75,
                **options,
            )
        )
    print(faults.HEADER, figures.row(), sep="\n")  # in the report with -rA or on failure
    return figures


def _every_dossier_once(figures: faults.Figures) -> None:
    assert figures.submitted == DOSSIERS
    assert (figures.completed, figures.duplicates, figures.lost, figures.stuck) == (
        DOSSIERS,
        0,
        0,
        0,
    ), figures


def test_workers_killed_with_sigkill_lose_and_duplicate_nothing(
    proof_pki: stack.Pki, tmp_path: Path
) -> None:
    figures = _run("kills", proof_pki, tmp_path, kills=3, seed=20261125)
    _every_dossier_once(figures)
    assert figures.faults.startswith("3 SIGKILLs"), figures.faults


def test_redis_restarted_empty_mid_run_is_reconciled(proof_pki: stack.Pki, tmp_path: Path) -> None:
    figures = _run("redis", proof_pki, tmp_path, seed=20261125)
    _every_dossier_once(figures)
    assert "Redis killed" in figures.faults
    assert figures.worker_exits == 0  # the workers rode out the restart


def test_a_sandbox_failing_30_percent_of_calls_still_gets_every_dossier_once(
    proof_pki: stack.Pki, tmp_path: Path
) -> None:
    figures = _run("sandbox", proof_pki, tmp_path, seed=20261125)
    _every_dossier_once(figures)
    assert figures.redelivered > 0  # responses were dropped, and the key absorbed the retry
