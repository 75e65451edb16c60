"""The log scan itself (tests/log_scan.py) catches what it must, and only that; and this
session's capture is live (a line logged here reaches the folder it scans).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import structlog
from cryptography.fernet import Fernet

from ebhxh.auth.tokens import mint_token
from ebhxh.demo.softhsm import SO_PIN
from tests import log_scan
from tests.conftest import Pki


def _log(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "sample.log"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_a_leaking_line_is_found_with_its_file_and_line(tmp_path: Path) -> None:
    token = "ebhxh_" + "k" * 43
    path = _log(
        tmp_path,
        '{"event": "app_started"}',
        f'{{"event": "signed_in", "detail": "Bearer {token}"}}',
        '{"event": "pin", "value": "246810"}',
    )
    findings, lines = log_scan.scan([path], {token: "an API token", "246810": "the PIN"})
    assert lines == 3
    assert [(f.line, f.what) for f in findings] == [
        (2, "an API token"),
        (2, "something shaped like a API token"),
        (3, "the PIN"),
    ]
    assert str(findings[0]).startswith(f"{path}:2: ")


def test_shapes_are_found_unregistered(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----",
        "credential ebhxhdev_" + "x" * 43,
        "migration ebhxh_0016_activation_attempts applied",
    )
    findings, _ = log_scan.scan([path], {})
    assert [f.line for f in findings] == [1, 2, 3]


def test_a_short_code_counts_only_as_a_whole_word(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        '{"timestamp": "2026-11-25T19:23:26.482913Z"}',
        '{"id": "5f1c2a48-2b1e-4c3d-9a7e-1a482913b2c4"}',
        '{"n": 14829130}',
        '{"event": "activation", "code": "482913"}',
    )
    findings, _ = log_scan.scan([path], {"482913": "an activation code"})
    assert [f.line for f in findings] == [4]


def test_this_sessions_secrets_include_the_pins_and_every_minted_token() -> None:
    assert log_scan.STATE.secrets[Pki.PIN] == "the SoftHSM user PIN"
    assert SO_PIN in log_scan.STATE.secrets
    minted = mint_token().plain
    assert log_scan.STATE.secrets[minted] == "an API token"
    key = Fernet.generate_key().decode()
    assert log_scan.STATE.secrets[key] == "a Fernet key"


def test_a_line_logged_in_this_process_reaches_the_scanned_folder() -> None:
    marker = uuid.uuid4().hex
    structlog.get_logger("log-scan-probe").info("log_scan_probe", marker=marker)
    log_scan.STATE.handlers[-1].flush()
    kept = (log_scan.log_dir() / "in-process.log").read_text(encoding="utf-8")
    assert marker in kept
