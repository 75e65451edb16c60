"""The HSM's tokens through the shared PKCS#11 code (`ebhxh.signing.pkcs11`), under the
operator's rule: loading a PKCS#11 module runs its code inside the platform, so only modules
the operator lists in `EBHXH_HSM_MODULES` (comma-separated paths; default: SoftHSM2's) can be
named. The token is chosen by label, the key by the certificate's CKA_ID or an explicit key
label. A token problem is a `SignerFailure` with an HSM error code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from ebhxh.errors import ErrorCode
from ebhxh.signing import pkcs11 as p11
from ebhxh.signing.contract import SignerFailure

T = TypeVar("T")
DEFAULT_MODULE = p11.DEFAULT_MODULE
CODES = {
    p11.TokenProblem.MODULE: ErrorCode.SIGNER_SETTINGS,
    p11.TokenProblem.TOKEN_MISSING: ErrorCode.HSM_TOKEN_MISSING,
    p11.TokenProblem.KEY_MISSING: ErrorCode.HSM_KEY_MISSING,
    p11.TokenProblem.PIN_INCORRECT: ErrorCode.HSM_PIN_INCORRECT,
    p11.TokenProblem.PIN_LOCKED: ErrorCode.HSM_PIN_LOCKED,
    p11.TokenProblem.DEVICE: ErrorCode.SIGNER_UNAVAILABLE,
}


def allowed_modules() -> set[str]:
    """The PKCS#11 modules the operator allows (`EBHXH_HSM_MODULES`)."""
    configured = os.environ.get("EBHXH_HSM_MODULES", "")
    return {path.strip() for path in configured.split(",") if path.strip()} or {DEFAULT_MODULE}


def _ref(settings: Mapping[str, str]) -> p11.TokenRef:
    label = settings.get("token_label", "")
    if not label:
        raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="token_label is required")
    path = settings.get("module_path") or DEFAULT_MODULE
    if path not in allowed_modules():
        raise SignerFailure(
            ErrorCode.SIGNER_SETTINGS,
            reason=f"module {path} is not in EBHXH_HSM_MODULES; ask the operator to allow it",
        )
    return p11.TokenRef(path, label=label)


def _failing_as_signer(call: Callable[[], T], settings: Mapping[str, str]) -> T:
    try:
        return call()
    except p11.TokenFailure as failure:
        params: dict[str, object] = {"value": settings.get("token_label", "")}
        if failure.problem in (p11.TokenProblem.MODULE, p11.TokenProblem.DEVICE):
            params = {"reason": f"PKCS#11: {failure.detail or failure.problem.value}"}
        raise SignerFailure(CODES[failure.problem], **params) from failure


def list_certificates(settings: Mapping[str, str], pin: str | None = None) -> list[bytes]:
    """Every X.509 certificate on the token (the PIN proven first when given)."""
    ref = _ref(settings)
    return _failing_as_signer(lambda: p11.certificates(p11.find_token(ref), pin), settings)


def sign(settings: Mapping[str, str], pin: str, certificate: bytes, data: bytes) -> bytes:
    """SHA-256 with RSA (PKCS#1 v1.5) or ECDSA over `data`, with the certificate's key."""
    ref = _ref(settings)
    return _failing_as_signer(
        lambda: p11.sign(
            p11.find_token(ref), pin, certificate, data, settings.get("key_label", "")
        ),
        settings,
    )
