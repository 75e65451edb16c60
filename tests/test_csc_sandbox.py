"""The CSC sandbox on its own: its CA and users survive a restart, and the signer's side of
it (`ebhxh csc-sandbox pending / approve / refuse / faults`) works over HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ebhxh.csc_sandbox.app import create_csc_sandbox_app
from ebhxh.csc_sandbox.model import DEFAULT_CLIENT_SECRET as DEMO_SECRET
from ebhxh.csc_sandbox.model import SandboxState, Status
from ebhxh.demo.threaded import ThreadedServer
from ebhxh.errors import ErrorCode
from ebhxh.signing.contract import SignerFailure
from ebhxh_signer_remote_csc.signer import RemoteCscSigner
from tests.conftest import run_cli


def test_the_sandbox_keeps_its_ca_and_users_across_restarts(tmp_path: Path) -> None:
    first = SandboxState.kept_in(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == first.ca.pem
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    again = SandboxState.kept_in(tmp_path)
    assert again.ca.pem == first.ca.pem
    assert {c.credential_id: c.certificate for c in again.credentials.values()} == {
        c.credential_id: c.certificate for c in first.credentials.values()
    }
    assert {c.user_id for c in again.credentials.values()} == {"songhong"}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[SandboxState, str]]:
    state = SandboxState.kept_in(tmp_path)
    server = ThreadedServer(create_csc_sandbox_app(state))
    server.start()
    yield state, server.url
    server.stop()


def test_the_cli_acts_as_the_signer(running: tuple[SandboxState, str]) -> None:
    state, url = running
    credential = next(iter(state.credentials))
    approve_me = state.authorize(credential, [hashlib.sha256(b"1").digest()], 1, "TK3-TS")
    refuse_me = state.authorize(credential, [hashlib.sha256(b"2").digest()], 1, "01/ĐK-GD")
    env = {"CSC_SANDBOX_URL": url}
    listed = run_cli("csc-sandbox", "pending", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{approve_me.response_id}  {credential}  TK3-TS" in listed.stdout
    assert run_cli("csc-sandbox", "approve", approve_me.response_id, env=env).stdout == (
        "approved\n"
    )
    assert run_cli("csc-sandbox", "refuse", refuse_me.response_id, env=env).stdout == "refused\n"
    assert (approve_me.status, refuse_me.status) == (Status.APPROVED, Status.REFUSED)
    assert approve_me.sad and approve_me.uses_left == 1
    twice = run_cli("csc-sandbox", "approve", approve_me.response_id, env=env)
    assert twice.returncode != 0 and "No pending authorization" in twice.stderr
    assert "Không có yêu cầu nào" in run_cli("csc-sandbox", "pending", env=env).stdout
    faults = run_cli("csc-sandbox", "faults", "--down", "--sad-seconds", "0", env=env)
    assert faults.returncode == 0, faults.stderr
    assert (state.faults.down, state.faults.sad_seconds) == (True, 0)


def test_auth_login_takes_basic_credentials(running: tuple[SandboxState, str]) -> None:
    _, url = running
    good = httpx.post(f"{url}/csc/v2/auth/login", json={}, auth=("ebhxh", "sandbox-secret"))
    assert good.status_code == 200 and good.json()["access_token"]
    wrong = httpx.post(f"{url}/csc/v2/auth/login", json={}, auth=("ebhxh", "guess"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


async def test_a_wrong_client_secret_is_a_clear_signer_failure(
    running: tuple[SandboxState, str],
) -> None:
    _, url = running
    settings = {"base_url": url, "client_id": "ebhxh", "user_id": "songhong"}
    with pytest.raises(SignerFailure) as failure:
        await RemoteCscSigner().list_certificates(settings, {"client_secret": "guess"})
    assert failure.value.code is ErrorCode.CSC_AUTH_FAILED
    with pytest.raises(SignerFailure) as missing:
        await RemoteCscSigner().list_certificates({"base_url": url}, {})
    assert missing.value.params["reason"] == "missing client_id, user_id, client_secret"
    offered = await RemoteCscSigner().list_certificates(settings, {"client_secret": DEMO_SECRET})
    assert len(offered) == 2
