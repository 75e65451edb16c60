"""A pytest plugin: every log line the test run writes is kept in one folder, and at the end
of the session scanned for secrets; a secret found fails the run with its file and line.

What is kept (folder: `EBHXH_TEST_LOG_DIR`, else a new temporary folder named at the end):
- this process's logs, configured as the product configures them (JSON, redacted) with
  `log_file` pointing into the folder (`in-process.log`), re-installed before each test
  in case a test reconfigured logging;
- everything pytest captured of each test's stdout and stderr (`captured.log`, its sections
  numbered; `captured.index` names each section's test): threads' servers, and child
  processes that write to the inherited descriptors;
- the stderr of every child process the tests start (`ebhxh` commands, workers, `serve`,
  the bridge agent), written there by the helpers that start them (`log_path`, `keep_log`).

What counts as a secret: every API token, device credential and pairing code minted in this
process, every activation code the VSS sandbox mails, every Fernet key generated, the
SoftHSM user and SO PINs, the test client secrets, tokens a child process printed for its
user (registered by `register_secret`), and anything shaped like a private key in PEM or one
of our tokens. Six-digit codes count only as a whole word (not inside a timestamp or id).
"""

from __future__ import annotations

import collections
import functools
import importlib
import inspect
import itertools
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

LOG_DIR_ENV = "EBHXH_TEST_LOG_DIR"
SHAPES = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "API token": re.compile(r"ebhxh_[A-Za-z0-9_\-]{40,}"),
    "device credential": re.compile(r"ebhxhdev_[A-Za-z0-9_\-]{20,}"),
}
"""Secrets recognised by their shape, registered or not."""
MIN_LENGTH = 6


class Finding(NamedTuple):
    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


class _State:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.secrets: dict[str, str] = {}
        self.counter = itertools.count(1)
        self.handlers: list[logging.Handler] = []
        self.findings: list[Finding] = []
        self.lines = 0
        self.files = 0


STATE = _State()


def log_dir() -> Path:
    """The session's log folder."""
    if STATE.folder is None:
        configured = os.environ.get(LOG_DIR_ENV)
        STATE.folder = (
            Path(configured) if configured else Path(tempfile.mkdtemp(prefix="ebhxh-test-logs-"))
        )
        STATE.folder.mkdir(parents=True, exist_ok=True)
    return STATE.folder


def log_path(name: str) -> Path:
    """A new file in the log folder for a child process's output (`name-N.log`)."""
    return log_dir() / f"{name}-{next(STATE.counter)}.log"


def keep_log(name: str, text: str) -> None:
    """Keep `text` (output a test collected from a child process) for the scan."""
    if text:
        log_path(name).write_text(text, encoding="utf-8")


def register_secret(value: str, what: str) -> None:
    """Make `value` one of the secrets no log line may contain."""
    if value and len(value) >= MIN_LENGTH:
        STATE.secrets.setdefault(value, what)


def register_printed_tokens(text: str) -> None:
    """Register the tokens a command printed for its user (they are secrets from then on)."""
    for found in SHAPES["API token"].findall(text) + SHAPES["device credential"].findall(text):
        register_secret(found, "a token a command printed")


def _compile(secrets: dict[str, str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # Longest first, so a secret containing another is reported as itself. A short secret
    # (a PIN, an activation code) counts only standing alone: not inside a timestamp's
    # fraction, a UUID or a longer number.
    parts = [
        rf"(?<![0-9A-Za-z.:\-]){re.escape(s)}(?![0-9A-Za-z])" if len(s) < 12 else re.escape(s)
        for s in sorted(secrets, key=len, reverse=True)
    ]
    return re.compile("|".join(parts))


def scan(paths: Iterable[Path], secrets: dict[str, str]) -> tuple[list[Finding], int]:
    """Every line of `paths` that holds one of `secrets` or a secret's shape; lines read."""
    pattern = _compile(secrets)
    findings: list[Finding] = []
    lines = 0
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as text:
            for number, line in enumerate(text, 1):
                lines += 1
                found = pattern.search(line) if pattern else None
                if found:
                    findings.append(Finding(path, number, secrets[found.group(0)]))
                for what, shape in SHAPES.items():
                    if shape.search(line):
                        findings.append(Finding(path, number, f"something shaped like a {what}"))
    return findings, lines


def _replace_everywhere(original: Any, replacement: Any) -> None:
    """Point every loaded module's reference to `original` at `replacement` (the product
    imports functions by name, so patching their home module alone would miss them).
    """
    for module in list(sys.modules.values()):
        try:
            names = [n for n, v in vars(module).items() if v is original]
        except TypeError:
            continue
        for name in names:
            setattr(module, name, replacement)


def _record_results(module: str, name: str, what: str, pick: Callable[[Any], str]) -> None:
    original = getattr(importlib.import_module(module), name)

    @functools.wraps(original)
    def recording(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        register_secret(pick(result), what)
        return result

    _replace_everywhere(original, recording)


def _record_mailed_codes() -> None:
    original = importlib.import_module("ebhxh.vss_sandbox.mail").send_activation_code
    assert inspect.iscoroutinefunction(original)

    @functools.wraps(original)
    async def recording(*args: Any, **kwargs: Any) -> Any:
        register_secret(str(kwargs["code"]), "an activation code")
        return await original(*args, **kwargs)

    _replace_everywhere(original, recording)


def _record_fernet_keys() -> None:
    from cryptography.fernet import Fernet

    original = Fernet.generate_key

    def generate_key(cls: type[Fernet]) -> bytes:
        key = original()
        register_secret(key.decode(), "a Fernet key")
        return key

    Fernet.generate_key = classmethod(generate_key)  # type: ignore[assignment,method-assign]


def _install_logging() -> None:
    """The product's own logging configuration, also appending to the session's file."""
    root = logging.getLogger()
    if STATE.handlers and root.handlers == STATE.handlers:
        return
    from ebhxh.observability.logging import configure_logging

    configure_logging("INFO", json=True, file=str(log_dir() / "in-process.log"))
    STATE.handlers = list(root.handlers)


def pytest_configure(config: pytest.Config) -> None:
    from ebhxh.csc_sandbox.model import DEFAULT_CLIENT_SECRET
    from ebhxh.demo.softhsm import SO_PIN
    from tests.conftest import SECRET_KEY, Pki

    log_dir()
    register_secret(Pki.PIN, "the SoftHSM user PIN")
    register_secret(SO_PIN, "the SoftHSM SO PIN")
    register_secret(SECRET_KEY, "the test Fernet key")
    register_secret(DEFAULT_CLIENT_SECRET, "the CSC sandbox's client secret")
    _record_results("ebhxh.auth.tokens", "mint_token", "an API token", lambda t: t.plain)
    _record_results(
        "ebhxh.devices.credentials", "mint_credential", "a device credential", lambda c: c
    )
    _record_results("ebhxh.devices.credentials", "mint_pairing_code", "a pairing code", lambda c: c)
    _record_mailed_codes()
    _record_fernet_keys()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _install_logging()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    captured = [
        content
        for title, content in report.sections
        if title.startswith("Captured std") and content
    ]
    if captured:
        # The section's test is named in an index beside the log, not in it: test names
        # are not log lines (and some look like tokens).
        section = next(STATE.counter)
        with (log_dir() / "captured.index").open("a", encoding="utf-8") as index:
            index.write(f"{section} {report.nodeid} ({report.when})\n")
        with (log_dir() / "captured.log").open("a", encoding="utf-8") as sink:
            sink.write(f"=== section {section}\n")
            sink.writelines(captured)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for handler in STATE.handlers:
        handler.flush()
    files = sorted(p for p in log_dir().rglob("*.log") if p.is_file())
    STATE.findings, STATE.lines = scan(files, STATE.secrets)
    STATE.files = len(files)
    minted = any(what == "an API token" for what in STATE.secrets.values())
    vacuous = not STATE.secrets or (minted and STATE.lines == 0)
    if STATE.findings or vacuous:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    write(
        f"log scan: {STATE.lines} lines in {STATE.files} files under {log_dir()}, "
        f"{len(STATE.secrets)} secrets, {len(STATE.findings)} found"
    )
    kinds = collections.Counter(STATE.secrets.values())
    write("log scan: secrets by kind: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()))
    for finding in STATE.findings[:50]:
        write(f"log scan: SECRET IN A LOG LINE: {finding}", red=True)
    minted = any(what == "an API token" for what in STATE.secrets.values())
    if not STATE.secrets or (minted and STATE.lines == 0):
        write("log scan: FAILED: nothing was scanned (the log capture is broken)", red=True)
