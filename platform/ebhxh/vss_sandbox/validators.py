"""Where the sandbox validates a submitted document's signature: on its event loop, or in
a pool of processes of its own.

Validating a PAdES signature (reading the PDF, the CMS, the certificate path and its CRL)
is the sandbox's largest cost by far, all of it Python code holding the interpreter. On
the event loop, every request the sandbox serves meanwhile (another submission, a status,
a health check) waits for it, and the sandbox uses at most one core however many the
machine has, while VSS's own servers validate many documents at once. With
`EBHXH_SANDBOX_VALIDATORS` set to N > 0, documents are validated in N processes, each
with the trust store loaded once; the answer is the same either way (tests compare them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

import structlog

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import SignatureReport, validate_signed_pdf

log = structlog.get_logger(__name__)


class ValidatorsLost(Exception):
    """The validating processes died twice over one document: it was not validated (the
    sandbox answers 503 and the sender tries again later).
    """


class Validator(Protocol):
    """Validates a submitted document: its report, or `ProblemError` saying why not."""

    async def start(self) -> None:
        """Be ready for the first document."""
        ...

    async def validate(self, pdf: bytes, *, tax_code: str, now: dt.datetime) -> SignatureReport:
        """As `validate_signed_pdf` with the sandbox's trust store."""
        ...

    def close(self) -> None:
        """Let go of what it holds."""
        ...


class InProcessValidator:
    """Validates on the caller's event loop (the default: no process to start)."""

    def __init__(self, trust: TrustStore) -> None:
        self.trust = trust

    async def start(self) -> None:
        return None

    async def validate(self, pdf: bytes, *, tax_code: str, now: dt.datetime) -> SignatureReport:
        return await validate_signed_pdf(pdf, trust=self.trust, tax_code=tax_code, now=now)

    def close(self) -> None:
        return None


# A pool process's own trust store and event loop, made once by `_start_process`.
_TRUST: TrustStore | None = None
_LOOP: asyncio.AbstractEventLoop | None = None


def _start_process(trust_dir: str | None) -> None:
    global _TRUST, _LOOP  # noqa: PLW0603 - set once, in a pool process
    # A Ctrl-C at the terminal reaches the whole process group: the sandbox stops its
    # processes itself, without a pool broken under the documents in flight meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _TRUST = TrustStore.from_folder(Path(trust_dir) if trust_dir else None)
    _LOOP = asyncio.new_event_loop()


def _ready(pause: float) -> None:
    """In a pool process: return once started (pausing, so that N calls at once keep N
    processes busy, and so start N).
    """
    time.sleep(pause)


Refused = tuple[str, int, str | None, dict[str, Any]]
"""A refusal as sent back: code, status, field, params (an exception's own arguments do
not all survive the trip)."""


def _validate_here(pdf: bytes, tax_code: str, now: dt.datetime) -> SignatureReport | Refused:
    """In a pool process: the report, or the refusal."""
    if _TRUST is None or _LOOP is None:
        raise RuntimeError("validator process not started")
    try:
        return _LOOP.run_until_complete(
            validate_signed_pdf(pdf, trust=_TRUST, tax_code=tax_code, now=now)
        )
    except ProblemError as refused:
        return refused.code.value, refused.status, refused.field, refused.params


class PooledValidator:
    """Validates in `processes` processes, spawned afresh (the sandbox may run threads,
    which a fork would copy in whatever state they are in).

    A process that dies (killed, out of memory) breaks the whole pool: it is replaced by a
    new one and the document is validated once more there, so a lost process costs one
    slow answer, not every later one. Should that pool die too (a document that kills
    whatever reads it), it is replaced again and the document is not validated:
    `ValidatorsLost`.
    """

    def __init__(self, trust_dir: str | None, processes: int) -> None:
        if processes < 1:
            raise ValueError("a pool has at least one process")
        self.trust_dir = trust_dir
        self.processes = processes
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_process,
            initargs=(self.trust_dir,),
        )

    async def start(self) -> None:
        """Start every process now (each imports pyHanko: seconds), not at the first
        documents, whose senders would wait for it.
        """
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._pool, _ready, 0.2) for _ in range(self.processes))
        )

    async def validate(self, pdf: bytes, *, tax_code: str, now: dt.datetime) -> SignatureReport:
        try:
            outcome = await self._in_pool(pdf, tax_code, now)
        except BrokenProcessPool:
            try:
                outcome = await self._in_pool(pdf, tax_code, now)
            except BrokenProcessPool as again:
                raise ValidatorsLost from again
        if isinstance(outcome, SignatureReport):
            return outcome
        code, status, field, params = outcome
        raise ProblemError(ErrorCode(code), status=status, field=field, params=params)

    async def _in_pool(
        self, pdf: bytes, tax_code: str, now: dt.datetime
    ) -> SignatureReport | Refused:
        """One try in the current pool; a broken pool is replaced before its error goes on."""
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool, _validate_here, pdf, tax_code, now
            )
        except BrokenProcessPool:
            if self._pool is pool:  # not replaced yet by another document's failure
                log.warning("vss_sandbox_validators_replaced", processes=self.processes)
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def process_ids(self) -> list[int]:
        """The pool's live processes (what `start` started, or their replacements)."""
        return [pid for pid, process in self._pool._processes.items() if process.is_alive()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
