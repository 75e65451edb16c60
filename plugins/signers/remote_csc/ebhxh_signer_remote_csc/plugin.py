"""Hook implementations: the "remote_csc" signer type and its polling cron."""

from __future__ import annotations

from arq import cron

from ebhxh.plugins import hookimpl
from ebhxh.signing.contract import SignerType
from ebhxh.worker.contract import WorkerJobs
from ebhxh_signer_remote_csc.poll import csc_poll
from ebhxh_signer_remote_csc.signer import RemoteCscSigner

EVERY_2_SECONDS = set(range(0, 60, 2))


@hookimpl
def ebhxh_signer_types() -> list[SignerType]:
    return [RemoteCscSigner()]


@hookimpl
def ebhxh_worker_jobs() -> list[WorkerJobs]:
    return [WorkerJobs(cron_jobs=[cron(csc_poll, second=EVERY_2_SECONDS, run_at_startup=True)])]
