"""What operators run beside the API: the worker's own liveness probe and metrics port,
`ebhxh migrate --check / --wait` (the chart's init containers), and `ebhxh secrets rotate`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from ebhxh.db.binding import system_access
from ebhxh.demo.threaded import free_port
from ebhxh.settings import Settings
from ebhxh.signing.tables import SignatureSetup
from ebhxh.sso.tables import IdentityProvider
from ebhxh.worker.redis import connect_lazily, locate_redis
from tests import log_scan
from tests.conftest import (
    REDIS_URL,
    SECRET_KEY,
    Pki,
    TenantHandle,
    in_app,
    run_cli,
    settings_env,
    signed_unit,
    start_worker,
)

Client = AsyncTestClient[Litestar]


def _probe(worker_id: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    """The probe the pods run: `python -m ebhxh.worker.probe`."""
    probed = subprocess.run(
        [sys.executable, "-m", "ebhxh.worker.probe"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")},
            **settings_env(settings),
            "EBHXH_WORKER_ID": worker_id,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    log_scan.keep_log("probe", probed.stderr)
    return probed


def _cli_probe(worker_id: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    """The same check for people: `ebhxh worker probe`."""
    return run_cli("worker", "probe", env={**settings_env(settings), "EBHXH_WORKER_ID": worker_id})


async def _until_probe_passes(worker_id: str, settings: Settings) -> None:
    for _ in range(100):
        if (await asyncio.to_thread(_probe, worker_id, settings)).returncode == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"worker {worker_id} never became alive")


async def test_the_worker_probe_reads_this_pods_own_heartbeat(pg_url: str) -> None:
    pod, other_pod = f"worker-{uuid.uuid4().hex[:8]}", f"worker-{uuid.uuid4().hex[:8]}"
    port = free_port()
    settings = Settings(
        database_url=pg_url,
        redis_url=REDIS_URL,
        queue_name=f"ebhxh-ops-{uuid.uuid4().hex[:8]}:queue",
        worker_id=pod,
        worker_metrics_port=port,
    )
    before = _probe(pod, settings)
    assert before.returncode == 1
    assert f"no fresh heartbeat for {pod}" in before.stderr
    worker = start_worker(settings)
    try:
        await _until_probe_passes(pod, settings)
        assert _cli_probe(pod, settings).stdout.strip() == "alive"
        # Another pod's probe is not fooled by this pod's worker (arq's key would be).
        assert _probe(other_pod, settings).returncode == 1
        # The worker serves its own metrics: run a job, read its outcome from the port.
        redis = locate_redis(settings)
        pool = connect_lazily(redis.settings, settings.queue_name)
        job = await pool.enqueue_job("canary")
        assert job is not None
        assert await job.result(timeout=15) == pod
        await pool.aclose()
        async with httpx.AsyncClient(timeout=5) as http:
            scraped = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        samples = {
            (s.name, s.labels.get("job_name"), s.labels.get("outcome")): s.value
            for family in text_string_to_metric_families(scraped)
            for s in family.samples
        }
        assert samples[("ebhxh_jobs_total", "canary", "success")] == 1
        assert samples[("ebhxh_job_duration_seconds_count", "canary", None)] == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(timeout=30)
    assert exit_code == 0
    stopped = _probe(pod, settings)  # a stopped worker deletes its heartbeat at once
    assert stopped.returncode == 1
    assert _cli_probe(pod, settings).returncode == 1


def test_the_probe_fails_clearly_when_redis_is_unreachable() -> None:
    nowhere = Settings(redis_url="redis://127.0.0.1:1/0")
    for probe in (_probe("w", nowhere), _cli_probe("w", nowhere)):
        assert probe.returncode == 1
        assert "cannot read the heartbeat" in probe.stderr


def test_migrate_wait_holds_until_the_schema_is_current(tmp_path: Path) -> None:
    env = {"EBHXH_DATA_DIR": str(tmp_path)}
    check = run_cli("migrate", "--check", env=env)
    assert check.returncode == 1
    assert "migration(s) not applied" in check.stderr
    waiting = subprocess.Popen(
        [sys.executable, "-m", "ebhxh.cli", "migrate", "--wait", "120"],
        env={**_clean_env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run_cli("migrate", env=env).returncode == 0  # the chart's pre-install hook
        out, err = waiting.communicate(timeout=60)
        log_scan.keep_log("cli-migrate-wait", err)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, err
    assert "schema is current" in out
    assert run_cli("migrate", "--check", env=env).returncode == 0


def test_migrate_wait_gives_up_when_the_database_never_answers() -> None:
    env = {"EBHXH_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing"}
    result = run_cli("migrate", "--wait", "1", env=env)
    assert result.returncode == 1
    assert "did not answer" in result.stderr


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("EBHXH_")}


async def _ciphertexts(client: Client, unit_id: str) -> Any:
    async def read() -> Any:
        with system_access():  # the test reads the stored bytes, across tenants
            return (
                await SignatureSetup.select(SignatureSetup.secrets_ciphertext)
                .where(SignatureSetup.unit == uuid.UUID(unit_id))
                .first()
            )["secrets_ciphertext"]

    return bytes(in_app(client, read))


def _idp_ciphertext(client: Client, tenant: TenantHandle) -> bytes:
    async def read() -> Any:
        with system_access():  # the test reads the stored bytes, across tenants
            return (
                await IdentityProvider.select(IdentityProvider.client_secret_ciphertext)
                .where(IdentityProvider.tenant == tenant.id)
                .first()
            )["client_secret_ciphertext"]

    return bytes(in_app(client, read))


async def test_secrets_rotate_re_encrypts_under_the_first_key(
    client: Client, tenant: TenantHandle, test_pki: Pki, settings: Settings
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    idp_secret = "idp-client-secret-to-rotate"
    configured = await client.put(
        "/identity-provider",
        headers=tenant.headers,
        json={
            "issuer": "https://login.example.vn",
            "client_id": "ebhxh",
            "client_secret": idp_secret,
            "role_mapping": {},
        },
    )
    assert configured.status_code == 200, configured.text
    env = {"EBHXH_DATABASE_URL": str(settings.database_url)}
    new_key = Fernet.generate_key().decode()
    stranger = Fernet.generate_key().decode()

    def rotate(keys: str) -> subprocess.CompletedProcess[str]:
        return run_cli("secrets", "rotate", env={**env, "EBHXH_SECRET_KEYS": keys})

    refused = rotate(stranger)
    assert refused.returncode == 1
    assert "opens with none of the configured keys" in refused.stderr
    assert Fernet(SECRET_KEY).decrypt(await _ciphertexts(client, unit_id))  # untouched

    rotated = rotate(f"{new_key},{SECRET_KEY}")
    try:
        assert rotated.returncode == 0, rotated.stderr
        assert "Re-encrypted" in rotated.stdout
        assert test_pki.PIN not in rotated.stdout + rotated.stderr
        ciphertext = await _ciphertexts(client, unit_id)
        assert json.loads(Fernet(new_key).decrypt(ciphertext)) == {"pin": test_pki.PIN}
        with pytest.raises(InvalidToken):
            Fernet(SECRET_KEY).decrypt(ciphertext)
        idp_ciphertext = _idp_ciphertext(client, tenant)
        assert Fernet(new_key).decrypt(idp_ciphertext) == idp_secret.encode()
        with pytest.raises(InvalidToken):
            Fernet(SECRET_KEY).decrypt(idp_ciphertext)
    finally:  # the suite's other tests share this database and its key: rotate back
        back = rotate(f"{SECRET_KEY},{new_key}")
        assert back.returncode == 0, back.stderr
    signature = await client.get(f"/units/{unit_id}/signature", headers=tenant.headers)
    assert signature.status_code == 200, signature.text


def test_secrets_rotate_needs_a_key_outside_the_embedded_default(pg_url: str) -> None:
    result = run_cli("secrets", "rotate", env={"EBHXH_DATABASE_URL": pg_url})
    assert result.returncode == 1
    assert "EBHXH_SECRET_KEYS is not set" in result.stderr
