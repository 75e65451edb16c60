"""The agent on the user's PC: pairs once, then reports the token's certificates and signs
the requests the platform has for this device.

The PC only makes outbound HTTPS calls (a long poll, then the answer). For each request the
agent shows what it is about to sign (unit, tax code, form, the document's SHA-256), asks for
the PIN here (the PIN never leaves the PC; an empty answer declines), signs only the
to-be-signed bytes with the registered certificate's key, and posts the value.

Guarding the token: a token locks its PIN after a number of wrong tries that the agent cannot
know in advance. The agent stops asking (and answers every request with `pin_guard`) once the
token reports its PIN locked or one try from locking (CKF_USER_PIN_LOCKED / _FINAL_TRY), or
after `max_wrong_pins` wrong PINs in a row. SoftHSM2 (2.6) never locks: it only sets
CKF_USER_PIN_COUNT_LOW after a wrong PIN, so there the agent's own count is the guard.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
from pkcs11 import TokenFlag

from ebhxh.signing import pkcs11 as p11
from ebhxh_signer_usb_bridge.schemas import BridgeProblem, BridgeRequestOut, BridgeResultIn

PROBLEMS = {
    p11.TokenProblem.MODULE: BridgeProblem.DEVICE,
    p11.TokenProblem.DEVICE: BridgeProblem.DEVICE,
    p11.TokenProblem.TOKEN_MISSING: BridgeProblem.TOKEN_MISSING,
    p11.TokenProblem.KEY_MISSING: BridgeProblem.KEY_MISSING,
    p11.TokenProblem.PIN_INCORRECT: BridgeProblem.PIN_INCORRECT,
    p11.TokenProblem.PIN_LOCKED: BridgeProblem.PIN_LOCKED,
}
LOCKING = TokenFlag.USER_PIN_LOCKED | TokenFlag.USER_PIN_FINAL_TRY


class DeviceConfig(msgspec.Struct, kw_only=True):
    """What pairing leaves on the PC (a file only its owner may read)."""

    url: str
    device_id: uuid.UUID
    name: str
    credential: str


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ebhxh-bridge" / "device.json"


def save_config(path: Path, config: DeviceConfig) -> None:
    """Write the device file as 0600 from the start (never briefly readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(msgspec.json.encode(config))
    os.replace(temporary, path)


def load_config(path: Path) -> DeviceConfig:
    return msgspec.json.decode(path.read_bytes(), type=DeviceConfig)


def pair(url: str, code: str, name: str, path: Path) -> DeviceConfig:
    """Exchange the user's pairing code for a device credential and keep it in `path`."""
    response = httpx.post(
        url.rstrip("/") + "/device/pairing", json={"code": code, "name": name}, timeout=30
    )
    _raise_for_problem(response)
    body = response.json()
    config = DeviceConfig(
        url=url.rstrip("/"),
        device_id=uuid.UUID(body["device_id"]),
        name=body["name"],
        credential=body["credential"],
    )
    save_config(path, config)
    return config


class AgentStopped(Exception):
    """The platform refused the device (revoked, unknown): pair again."""


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code == 401:
        raise AgentStopped(_problem_text(response))
    if response.is_error:
        raise RuntimeError(f"{response.status_code}: {_problem_text(response)}")


def _problem_text(response: httpx.Response) -> str:
    try:
        body: dict[str, Any] = response.json()
    except json.JSONDecodeError:
        return response.text[:200]
    return f"{body.get('code')}: {body.get('detail') or body.get('title')}"


class Agent:
    """One paired device with one token."""

    def __init__(
        self,
        config: DeviceConfig,
        token: p11.TokenRef,
        ask_pin: Callable[[], str],
        say: Callable[[str], None],
        max_wrong_pins: int = 3,
    ) -> None:
        self.config = config
        self.token = token
        self.ask_pin = ask_pin
        self.say = say
        self.max_wrong_pins = max_wrong_pins
        self.wrong_pins = 0
        self.stopped_asking: str | None = None
        self._reported: list[bytes] | None = None
        self.http = httpx.Client(
            base_url=config.url,
            headers={"Authorization": f"Bearer {config.credential}"},
            timeout=60,
        )

    def close(self) -> None:
        self.http.close()

    def report_certificates(self) -> None:
        """Tell the platform which certificates the token holds (when that changed). An
        absent token reports nothing: unplugged is not empty.
        """
        try:
            found = p11.certificates(p11.find_token(self.token))
        except p11.TokenFailure as failure:
            self.say(f"Token {self.token.name}: {failure.problem.value}")
            return
        if found == self._reported:
            return
        response = self.http.put(
            "/device/certificates",
            content=msgspec.json.encode({"token": self.token.name, "certificates": found}),
            headers={"Content-Type": "application/json"},
        )
        _raise_for_problem(response)
        self._reported = found
        self.say(f"Đã báo {len(found)} chứng thư số trên token {self.token.name}.")

    def poll(self, wait: int) -> list[BridgeRequestOut]:
        response = self.http.get("/bridge/requests", params={"wait": wait}, timeout=wait + 30)
        _raise_for_problem(response)
        return msgspec.json.decode(response.content, type=list[BridgeRequestOut])

    def handle(self, request: BridgeRequestOut) -> dict[str, Any]:
        """Show, ask, sign, answer; returns the platform's view of the settled request."""
        self.say(
            f"Yêu cầu ký / signing request {request.request_id}\n"
            f"  Đơn vị / unit: {request.unit_name} (MST {request.tax_code})\n"
            f"  Biểu mẫu / form: {request.form}\n"
            f"  SHA-256 tài liệu / document: {request.document_sha256}\n"
            f"  Dữ liệu ký / to be signed: SHA-256 "
            f"{hashlib.sha256(request.to_be_signed).hexdigest()}"
        )
        signature, problem, detail = self._sign(request)
        result = BridgeResultIn(
            request_id=request.request_id, signature=signature, problem=problem, detail=detail
        )
        response = self.http.post(
            "/bridge/results",
            content=msgspec.json.encode(result),
            headers={"Content-Type": "application/json"},
        )
        _raise_for_problem(response)
        answer: dict[str, Any] = response.json()
        self.say(f"Kết quả / result: {answer['state']} {answer.get('failure_code') or ''}")
        return answer

    def _sign(self, request: BridgeRequestOut) -> tuple[bytes | None, BridgeProblem | None, str]:
        if self.stopped_asking:
            self.say(self.stopped_asking)
            return None, BridgeProblem.PIN_GUARD, str(self.wrong_pins)
        try:
            token = p11.find_token(self.token)
            if p11.pin_flags(self.token) & LOCKING:
                return self._stop(BridgeProblem.PIN_LOCKED, "the token reports its PIN locked")
            pin = self.ask_pin()
            if not pin:
                return None, BridgeProblem.DECLINED, ""
            value = p11.sign(token, pin, request.certificate, request.to_be_signed)
        except p11.TokenFailure as failure:
            problem = PROBLEMS[failure.problem]
            if problem is BridgeProblem.PIN_LOCKED:
                return self._stop(problem, "the token refused: PIN locked")
            if problem is BridgeProblem.PIN_INCORRECT:
                self.wrong_pins += 1
                if self.wrong_pins >= self.max_wrong_pins or self._token_near_lock():
                    self._stop(problem, f"{self.wrong_pins} wrong PINs")
            self.say(f"Không ký được / could not sign: {problem.value} {failure.detail}")
            return None, problem, failure.detail
        self.wrong_pins = 0
        return value, None, ""

    def _token_near_lock(self) -> bool:
        try:
            return bool(p11.pin_flags(self.token) & LOCKING)
        except p11.TokenFailure:
            return False

    def _stop(
        self, problem: BridgeProblem, why: str
    ) -> tuple[bytes | None, BridgeProblem | None, str]:
        self.stopped_asking = (
            f"Ngừng hỏi mã PIN để token không bị khóa ({why}); khởi động lại chương trình "
            f"khi đã có mã PIN đúng. / Stopped asking for the PIN so the token does not lock "
            f"({why}); restart the agent once you have the right PIN."
        )
        self.say(self.stopped_asking)
        return None, problem, why

    def run(self, wait: int = 25, max_requests: int | None = None) -> int:
        """Report, then poll and handle requests until stopped; the number handled."""
        handled = 0
        self.report_certificates()
        self.say(f"{self.config.name}: chờ yêu cầu ký / waiting for signing requests")
        while max_requests is None or handled < max_requests:
            for request in self.poll(wait):
                self.handle(request)
                handled += 1
            self.report_certificates()
        return handled
