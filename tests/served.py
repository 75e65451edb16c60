"""`ebhxh serve` as a newcomer runs it: the embedded default in a fresh data folder, no
settings, from the repository's root (so `tenants/` applies), on a free port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import log_scan

REPOSITORY = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, process: subprocess.Popen[str], base: str, log: Path, logs: Path) -> None:
        self.process = process
        self.base = base
        self.log = log
        self.logs = logs


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`ebhxh serve` on the embedded default, in a fresh data folder, with no settings."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}
    env["EBHXH_DATA_DIR"] = str(tmp_path / "data")
    log = tmp_path / "serve.out"  # what serve tells its user (the demo token, once)
    logs = log_scan.log_path("serve")  # its log lines, scanned at the end of the run
    with log.open("w") as sink, logs.open("w") as log_sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ebhxh.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=log_sink,
            text=True,
            cwd=REPOSITORY,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
        assert process.poll() is None, log.read_text() + logs.read_text()
    else:
        process.kill()
        pytest.fail("serve did not answer /health within 60 s:\n" + logs.read_text())
    log_scan.register_printed_tokens(log.read_text())
    yield Served(process, base, log, logs)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("serve did not stop on SIGINT")
