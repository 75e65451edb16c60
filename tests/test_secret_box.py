"""The secret box: what it encrypts only its keys decrypt, and the embedded default's key
file is made once, mode 0600, even when several processes start on it at the same moment.
"""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from ebhxh.errors import ProblemError
from ebhxh.secrets.box import EMBEDDED_KEY_FILE, SecretBox, _embedded_key

STARTERS = 12
ROUNDS = 8


def test_a_secret_is_read_back_only_with_its_key(tmp_path: Path) -> None:
    box = SecretBox([_embedded_key(tmp_path)])
    sealed = box.encrypt(b"client-secret")

    assert box.decrypt(sealed) == b"client-secret"
    assert b"client-secret" not in sealed
    with pytest.raises(ProblemError):
        SecretBox([_embedded_key(tmp_path / "other")]).decrypt(sealed)


def test_the_embedded_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = _embedded_key(tmp_path)

    assert _embedded_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / EMBEDDED_KEY_FILE).stat().st_mode) == 0o600


def _start(
    folder: str, barrier: multiprocessing.synchronize.Barrier, keys: multiprocessing.Queue[bytes]
) -> None:
    barrier.wait()
    keys.put(_embedded_key(Path(folder)))


def test_processes_starting_together_all_get_the_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        folder = tmp_path / f"round-{round_}"
        barrier = context.Barrier(STARTERS)
        keys: multiprocessing.Queue[bytes] = context.Queue()
        starters = [
            context.Process(target=_start, args=(str(folder), barrier, keys))
            for _ in range(STARTERS)
        ]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(30)

        assert [starter.exitcode for starter in starters] == [0] * STARTERS
        got = {keys.get(timeout=5) for _ in range(STARTERS)}
        assert got == {(folder / EMBEDDED_KEY_FILE).read_bytes().strip()}
        assert len(got.pop()) == 44  # a whole Fernet key, never a half-written file
        assert [path.name for path in folder.iterdir()] == [EMBEDDED_KEY_FILE]
