"""The USB-token bridge end to end: the platform served over HTTP on 127.0.0.1 (with its
worker, talking to the VSS sandbox), the `ebhxh-bridge` agent as a separate process with the
session's SoftHSM2 token, its PIN fed on stdin. Faults: no agent, token absent, wrong PINs
and the agent's guard, an answer after expiry, a revoked device, devices of another tenant
or another PC, a signature made with another key; a renewed certificate explained.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from ebhxh.app import create_app
from ebhxh.clock import ShiftedClock
from ebhxh.demo.threaded import ThreadedServer
from ebhxh.settings import Settings
from ebhxh.signing import pkcs11 as p11
from ebhxh.signing.certificates import summarise
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import validate_signed_pdf
from ebhxh.vss_sandbox.inbox import MailCatcher
from tests import log_scan
from tests.conftest import HANOI_TREE, HQ_DECLARATION, UNIT_EMAIL, Pki, run_cli, settings_env
from tests.lifecycle.helpers import Sandbox

AGENT = str(Path(sys.executable).parent / "ebhxh-bridge")
LIFETIME = 16 * 60  # seconds: past the signing request's 15 minutes


class Platform:
    """The app served on 127.0.0.1 with its worker; tenants made with `ebhxh tenants`."""

    def __init__(self, server: ThreadedServer, settings: Settings, clock: ShiftedClock) -> None:
        self.url = server.url
        self.settings = settings
        self.clock = clock
        self.http = httpx.Client(base_url=server.url, timeout=60)

    def tenant(self) -> dict[str, str]:
        slug = f"usb-{uuid.uuid4().hex[:10]}"
        created = run_cli(
            "tenants", "create", "--slug", slug, "--name", "Sông Hồng",
            "--admin-email", f"admin@{slug}.example",
            env=settings_env(self.settings),
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        token = re.search(r"^ebhxh_\S+$", created.stdout, re.M)
        assert token is not None, created.stdout
        return {"Authorization": f"Bearer {token.group(0)}"}

    def ok(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def unit(self, headers: dict[str, str]) -> str:
        self.ok("PUT", "/organisation", headers, json=HANOI_TREE)
        body = {**HQ_DECLARATION, "particulars": {"email": UNIT_EMAIL}}
        return str(self.ok("POST", "/units", headers, json=body)["id"])

    def dossier(self, headers: dict[str, str], unit_id: str) -> dict[str, Any]:
        body = {"kind": "register-unit-code"}
        created: dict[str, Any] = self.ok("POST", f"/units/{unit_id}/dossiers", headers, json=body)
        return created

    def until(self, headers: dict[str, str], dossier_id: str, state: str) -> dict[str, Any]:
        deadline = time.monotonic() + 45
        while True:
            dossier: dict[str, Any] = self.ok("GET", f"/dossiers/{dossier_id}", headers)
            if dossier["state"] == state:
                return dossier
            assert time.monotonic() < deadline, dossier
            time.sleep(0.2)

    def signing_request(self, headers: dict[str, str], dossier_id: str) -> dict[str, Any]:
        dossier = self.ok("GET", f"/dossiers/{dossier_id}", headers)
        request: dict[str, Any] = self.ok(
            "GET", f"/signing-requests/{dossier['signing_request_id']}", headers
        )
        return request


@pytest.fixture
def platform(
    settings: Settings, sandbox: Sandbox, clock: ShiftedClock, mail: MailCatcher
) -> Iterator[Platform]:
    configured = Settings(
        **{**msgspec.structs.asdict(settings), "vss_url": sandbox.url, "smtp_port": mail.port}
    )
    server = ThreadedServer(
        create_app(configured, clock=clock, with_worker=True, configure_logs=False)
    )
    server.start()
    handle = Platform(server, configured, clock)
    yield handle
    handle.http.close()
    server.stop()


def agent(*args: str, stdin: str = "", timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """`ebhxh-bridge` in its own process (the PC), the PIN typed on its stdin."""
    done = subprocess.run(
        [AGENT, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    log_scan.keep_log("bridge-agent", done.stderr)
    return done


class Device:
    """A PC paired through the agent, its device file in a folder of the test."""

    def __init__(self, platform: Platform, headers: dict[str, str], folder: Path) -> None:
        self.platform = platform
        self.config = folder / f"device-{uuid.uuid4().hex[:6]}.json"
        code = platform.ok("POST", "/devices/pairing-codes", headers)["code"]
        paired = agent("pair", "--url", platform.url, "--code", code, "--name", "PC kế toán",
                       "--config", str(self.config))  # fmt: skip
        assert paired.returncode == 0, paired.stdout + paired.stderr
        stored = msgspec.json.decode(self.config.read_bytes())
        self.id = stored["device_id"]
        self.auth = {"Authorization": f"Bearer {stored['credential']}"}

    def run(
        self, *pins: str, requests: int = 1, label: str = Pki.TOKEN, extra: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        return agent(
            "run", "--config", str(self.config), "--wait", "2",
            *(("--token-label", label) if label else ()),
            "--max-requests", str(requests), *extra,
            stdin="".join(f"{pin}\n" for pin in pins),
        )  # fmt: skip

    def start(
        self, *pins: str, requests: int = 1, extra: tuple[str, ...] = ()
    ) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [AGENT, "run", "--config", str(self.config), "--token-label", Pki.TOKEN,
             "--wait", "2", "--max-requests", str(requests), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdin is not None
        process.stdin.write("".join(f"{pin}\n" for pin in pins))
        process.stdin.flush()
        return process


def set_up(
    platform: Platform, headers: dict[str, str], unit_id: str, device: Device, der: bytes
) -> Any:
    """Report the token (agent, no request), then set the unit's signature up on it."""
    reported = device.run(requests=0)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    access = {"signer_type": "usb-bridge", "settings": {"device_id": device.id}}
    offered = platform.ok("POST", f"/units/{unit_id}/signature/certificates", headers, json=access)[
        "certificates"
    ]
    usable = {c["sha256"] for c in offered if c["usable"]}
    assert summarise(der).sha256 in usable, offered
    return platform.ok(
        "PUT",
        f"/units/{unit_id}/signature",
        headers,
        json={**access, "certificate_sha256": summarise(der).sha256},
    )


@pytest.fixture
def paired(platform: Platform, test_pki: Pki, tmp_path: Path) -> Any:
    """A tenant, its Hà Nội unit, a paired PC, and the unit's signature on the PC's token."""
    headers = platform.tenant()
    unit_id = platform.unit(headers)
    device = Device(platform, headers, tmp_path)
    set_up(platform, headers, unit_id, device, test_pki.organisation)
    return headers, unit_id, device


def test_a_dossier_signed_through_the_agent_is_accepted_by_the_sandbox(
    platform: Platform, paired: Any, test_pki: Pki
) -> None:
    headers, unit_id, device = paired
    assert stat.S_IMODE(os.stat(device.config).st_mode) == 0o600
    devices = platform.ok("GET", "/devices", headers)["devices"]
    assert [d["id"] for d in devices] == [device.id]
    assert devices[0]["token"] == Pki.TOKEN
    assert summarise(test_pki.organisation).sha256 in {
        c["sha256"] for c in devices[0]["certificates"]
    }

    dossier = platform.dossier(headers, unit_id)
    assert dossier["state"] == "signing"
    assert dossier["waiting_for"].startswith("chờ token USB trên PC kế toán")
    request = platform.signing_request(headers, dossier["id"])

    signed = device.run(Pki.PIN)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert "CÔNG TY CỔ PHẦN SÔNG HỒNG" in signed.stdout or "Sông Hồng" in signed.stdout
    assert "tk3-ts" in signed.stdout
    assert request["document_sha256"] in signed.stdout
    assert Pki.PIN not in signed.stdout + signed.stderr
    assert "signed" in signed.stdout

    accepted = platform.until(headers, dossier["id"], "awaiting_activation")
    assert accepted["receipt_id"]
    document = platform.http.get(f"/signing-requests/{request['id']}/document", headers=headers)
    assert document.status_code == 200
    report = asyncio.run(
        validate_signed_pdf(
            document.content,
            trust=TrustStore.from_folder(test_pki.trust_dir),
            tax_code=Pki.TAX_CODE,
            now=platform.clock.now(),
        )
    )
    assert report.signer.sha256 == summarise(test_pki.organisation).sha256


def test_no_agent_online_waits_then_expires_with_a_clear_status(
    platform: Platform, paired: Any
) -> None:
    headers, unit_id, _ = paired
    dossier = platform.dossier(headers, unit_id)
    time.sleep(1)
    assert platform.ok("GET", f"/dossiers/{dossier['id']}", headers)["state"] == "signing"
    platform.clock.advance(dt.timedelta(seconds=LIFETIME))
    draft = platform.until(headers, dossier["id"], "draft")
    assert "signing_request_expired" in draft["history"][-1]["reason"]
    request = platform.signing_request(headers, dossier["id"])
    assert (request["state"], request["failure_code"]) == ("expired", "signing_request_expired")


def test_an_absent_token_is_reported_and_the_dossier_returns_to_draft(
    platform: Platform, paired: Any
) -> None:
    headers, unit_id, device = paired
    dossier = platform.dossier(headers, unit_id)
    result = device.run(label="token-that-is-not-plugged-in")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "token_missing" in result.stdout
    draft = platform.until(headers, dossier["id"], "draft")
    assert "usb_token_missing" in draft["history"][-1]["reason"]
    request = platform.signing_request(headers, dossier["id"])
    assert (request["state"], request["failure_code"]) == ("failed", "usb_token_missing")


def test_a_driver_that_does_not_load_is_reported(platform: Platform, paired: Any) -> None:
    headers, unit_id, device = paired
    dossier = platform.dossier(headers, unit_id)
    result = device.run(extra=("--module", "/nonexistent/libtoken.so"))
    assert result.returncode == 0, result.stdout + result.stderr
    platform.until(headers, dossier["id"], "draft")
    assert platform.signing_request(headers, dossier["id"])["failure_code"] == "usb_token_error"


def test_wrong_pins_fail_and_the_agent_stops_asking_before_the_token_locks(
    platform: Platform, paired: Any
) -> None:
    headers, unit_id, device = paired
    # Two wrong PINs typed, a guard of two: the third request is answered without asking.
    process = device.start("000000", "111111", requests=3, extra=("--max-wrong-pins", "2"))
    try:
        codes = []
        for _ in range(3):
            dossier = platform.dossier(headers, unit_id)  # a failed try's draft is re-signed
            draft = platform.until(headers, dossier["id"], "draft")
            codes.append(platform.signing_request(headers, dossier["id"])["failure_code"])
        output, errors = process.communicate(timeout=60)
        log_scan.keep_log("bridge-agent", errors)
    finally:
        process.kill()
    assert process.returncode == 0, output + errors
    assert codes == ["usb_pin_incorrect", "usb_pin_incorrect", "usb_pin_guard"]
    assert "usb_pin_guard" in draft["history"][-1]["reason"]
    assert output.count("Stopped asking for the PIN") == 2  # when it stopped, and request 3


def test_the_guard_stops_after_max_wrong_pins_and_says_so(
    platform: Platform, paired: Any, test_pki: Pki
) -> None:
    headers, unit_id, device = paired
    first = platform.dossier(headers, unit_id)
    run = device.run("000000", requests=1, extra=("--max-wrong-pins", "1"))
    assert "Stopped asking for the PIN" in run.stdout
    platform.until(headers, first["id"], "draft")
    assert platform.signing_request(headers, first["id"])["failure_code"] == "usb_pin_incorrect"
    # SoftHSM2 2.6 never locks a PIN: after a wrong one it only reports COUNT_LOW.
    flags = p11.pin_flags(p11.TokenRef(p11.DEFAULT_MODULE, label=test_pki.TOKEN))
    assert flags & p11.TokenFlag.USER_PIN_COUNT_LOW
    assert not flags & (p11.TokenFlag.USER_PIN_LOCKED | p11.TokenFlag.USER_PIN_FINAL_TRY)
    # The right PIN still works: the guard protected nothing SoftHSM2 would lock, a real
    # token (which locks) is protected the same way.
    again = platform.dossier(headers, unit_id)
    serial = p11.find_token(p11.TokenRef(p11.DEFAULT_MODULE, label=test_pki.TOKEN)).serial
    by_serial = ("--token-serial", serial.decode().strip())
    assert device.run(test_pki.PIN, label="", extra=by_serial).returncode == 0
    platform.until(headers, again["id"], "awaiting_activation")


def _poll(platform: Platform, device: Device) -> list[dict[str, Any]]:
    response = platform.http.get("/bridge/requests", params={"wait": 0}, headers=device.auth)
    assert response.status_code == 200, response.text
    polled: list[dict[str, Any]] = response.json()
    return polled


def _sign(request: dict[str, Any], certificate: bytes, pin: str) -> str:
    import base64

    token = p11.find_token(p11.TokenRef(p11.DEFAULT_MODULE, label=Pki.TOKEN))
    value = p11.sign(token, pin, certificate, base64.b64decode(request["to_be_signed"]))
    return base64.b64encode(value).decode()


def _answer(
    platform: Platform, device: Device, request: dict[str, Any], certificate: bytes
) -> httpx.Response:
    """Post a value signed on the session's token with `certificate`'s key, as `device`."""
    return platform.http.post(
        "/bridge/results",
        json={
            "request_id": request["request_id"],
            "signature": _sign(request, certificate, Pki.PIN),
        },
        headers=device.auth,
    )


def test_an_answer_after_the_request_expired_is_refused(
    platform: Platform, paired: Any, test_pki: Pki
) -> None:
    headers, unit_id, device = paired
    dossier = platform.dossier(headers, unit_id)
    (request,) = _poll(platform, device)  # the agent fetched it, then the person went away
    platform.clock.advance(dt.timedelta(seconds=LIFETIME))
    platform.until(headers, dossier["id"], "draft")
    late = _answer(platform, device, request, test_pki.organisation)
    assert late.status_code == 200, late.text
    assert late.json()["state"] == "expired"
    assert platform.ok("GET", f"/dossiers/{dossier['id']}", headers)["state"] == "draft"


def test_a_signature_made_with_another_key_is_refused(
    platform: Platform, paired: Any, test_pki: Pki
) -> None:
    headers, unit_id, device = paired
    dossier = platform.dossier(headers, unit_id)
    (request,) = _poll(platform, device)
    answer = _answer(platform, device, request, test_pki.previous_organisation)
    assert answer.status_code == 200, answer.text
    assert answer.json()["failure_code"] == "signature_value_invalid"
    draft = platform.until(headers, dossier["id"], "draft")
    assert "signature_value_invalid" in draft["history"][-1]["reason"]


def test_a_revoked_device_is_refused(platform: Platform, paired: Any) -> None:
    headers, unit_id, device = paired
    revoked = platform.ok("DELETE", f"/devices/{device.id}", headers)
    assert revoked["revoked_at"] is not None
    refused = platform.http.get("/bridge/requests", params={"wait": 0}, headers=device.auth)
    assert refused.status_code == 401
    assert refused.json()["code"] == "device_credential_invalid"
    run = device.run(requests=1)
    assert run.returncode == 3
    assert "device_credential_invalid" in run.stdout
    # and a unit set up on it cannot sign any more
    refused_dossier = platform.http.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=headers
    )
    assert refused_dossier.status_code == 422, refused_dossier.text
    assert refused_dossier.json()["code"] == "device_credential_invalid"


def test_devices_of_another_pc_or_tenant_get_nothing_and_are_refused(
    platform: Platform, paired: Any, test_pki: Pki, tmp_path: Path
) -> None:
    headers, unit_id, device = paired
    other_pc = Device(platform, headers, tmp_path)
    other_headers = platform.tenant()
    other_tenant = Device(platform, other_headers, tmp_path)
    dossier = platform.dossier(headers, unit_id)
    assert _poll(platform, other_pc) == []
    assert _poll(platform, other_tenant) == []
    (request,) = _poll(platform, device)
    for intruder in (other_pc, other_tenant):
        answer = _answer(platform, intruder, request, test_pki.organisation)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "bridge_request_not_found"
    assert platform.ok("GET", f"/dossiers/{dossier['id']}", headers)["state"] == "signing"
    # Another tenant cannot name this tenant's device at signature setup either.
    other_unit = platform.unit(other_headers)
    access = {"signer_type": "usb-bridge", "settings": {"device_id": device.id}}
    borrowed = platform.http.post(
        f"/units/{other_unit}/signature/certificates", json=access, headers=other_headers
    )
    assert borrowed.status_code == 422, borrowed.text
    assert borrowed.json()["code"] == "device_not_found"
    # An API token is not a device credential.
    assert platform.http.get("/bridge/requests", headers=headers).status_code == 401


def test_pairing_codes_are_one_time_and_short_lived(platform: Platform, tmp_path: Path) -> None:
    headers = platform.tenant()
    code = platform.ok("POST", "/devices/pairing-codes", headers)["code"]
    first = platform.http.post("/device/pairing", json={"code": code, "name": "PC 1"})
    assert first.status_code == 201, first.text
    again = platform.http.post(
        "/device/pairing", json={"code": code, "name": "PC 2"}, headers={"Accept-Language": "en"}
    )
    assert again.status_code == 422
    assert again.json()["code"] == "pairing_code_invalid"
    assert "expired" in again.json()["detail"]
    late = platform.ok("POST", "/devices/pairing-codes", headers)["code"]
    platform.clock.advance(dt.timedelta(minutes=11))
    expired = agent("pair", "--url", platform.url, "--code", late,
                    "--config", str(tmp_path / "late.json"))  # fmt: skip
    assert expired.returncode != 0
    assert "pairing_code_invalid" in expired.stderr
    assert not (tmp_path / "late.json").exists()


def test_a_renewed_certificate_is_explained_at_setup_and_before_signing(
    platform: Platform, paired: Any, test_pki: Pki
) -> None:
    headers, unit_id, device = paired
    # The token was renewed: it now holds the company's other certificate only.
    report = platform.http.put(
        "/device/certificates",
        content=msgspec.json.encode(
            {"token": Pki.TOKEN, "certificates": [test_pki.previous_organisation]}
        ),
        headers={**device.auth, "Content-Type": "application/json"},
    )
    assert report.status_code == 200, report.text
    setup = platform.ok("GET", f"/units/{unit_id}/signature", headers)
    change = setup["certificate_change"]
    assert change["code"] == "cert_changed_on_token"
    assert change["new_certificate"]["sha256"] == summarise(test_pki.previous_organisation).sha256
    assert "change-of-registration" not in change["message"]  # Vietnamese first
    assert "hồ sơ thay đổi" in change["message"]
    refused = platform.http.post(
        f"/units/{unit_id}/dossiers",
        json={"kind": "register-unit-code"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "cert_changed_on_token"
    assert "change-of-registration" in refused.json()["detail"]
