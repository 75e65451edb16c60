"""PKCS#11 access to an HSM token: list certificates, sign with the matching private key.

python-pkcs11 calls are blocking C calls, so the signer type runs them in a thread. The
token is chosen by label (slot numbers change), the key by the certificate's CKA_ID or an
explicit key label. The PIN is used for the session and not kept.

Loading a PKCS#11 module runs its code inside the platform, so only modules the operator
lists in `EBHXH_HSM_MODULES` (comma-separated paths; default: SoftHSM2's) can be named.
Logins are per token and process, so signings on one token take turns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import pkcs11
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.util.ec import encode_ecdsa_signature

from ebhxh.errors import ErrorCode
from ebhxh.signing.contract import SignerFailure

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_libraries: dict[str, Any] = {}  # pkcs11.lib instances, one per module path
_lock = threading.Lock()
_token_locks: dict[str, threading.Lock] = {}


def allowed_modules() -> set[str]:
    """The PKCS#11 modules the operator allows (`EBHXH_HSM_MODULES`)."""
    configured = os.environ.get("EBHXH_HSM_MODULES", "")
    return {path.strip() for path in configured.split(",") if path.strip()} or {DEFAULT_MODULE}


def _library(path: str) -> Any:
    if path not in allowed_modules():
        raise SignerFailure(
            ErrorCode.SIGNER_SETTINGS,
            reason=f"module {path} is not in EBHXH_HSM_MODULES; ask the operator to allow it",
        )
    with _lock:
        if path not in _libraries:
            try:
                _libraries[path] = pkcs11.lib(path)
            except (OSError, RuntimeError, p11.PKCS11Error) as exc:
                raise SignerFailure(
                    ErrorCode.SIGNER_SETTINGS, reason=f"cannot load PKCS#11 module {path}"
                ) from exc
        return _libraries[path]


def _token(settings: Mapping[str, str]) -> pkcs11.Token:
    label = settings.get("token_label", "")
    if not label:
        raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason="token_label is required")
    library = _library(settings.get("module_path") or DEFAULT_MODULE)
    try:
        token: pkcs11.Token = library.get_token(token_label=label)
        return token
    except (p11.NoSuchToken, p11.MultipleTokensReturned) as exc:
        raise SignerFailure(ErrorCode.HSM_TOKEN_MISSING, value=label) from exc


def _turn(label: str) -> threading.Lock:
    with _lock:
        return _token_locks.setdefault(label, threading.Lock())


def _open(token: pkcs11.Token, pin: str | None) -> Any:
    try:
        return token.open(user_pin=pin) if pin is not None else token.open()
    except p11.PinIncorrect as exc:
        raise SignerFailure(ErrorCode.HSM_PIN_INCORRECT) from exc
    except p11.PinLocked as exc:
        raise SignerFailure(ErrorCode.HSM_PIN_LOCKED) from exc
    except (p11.PinInvalid, p11.PinLenRange) as exc:
        raise SignerFailure(ErrorCode.HSM_PIN_INCORRECT) from exc


def list_certificates(settings: Mapping[str, str], pin: str | None = None) -> list[bytes]:
    """Every X.509 certificate on the token. With a PIN, the PIN is proven first (a setup
    must show it can use the token, not only read its public objects).
    """
    token = _token(settings)
    with _turn(token.label), _open(token, pin) as session:
        return [
            bytes(obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]


def sign(settings: Mapping[str, str], pin: str, certificate: bytes, data: bytes) -> bytes:
    """SHA-256 with RSA (PKCS#1 v1.5) or ECDSA over `data`, with the certificate's key."""
    token = _token(settings)
    with _turn(token.label), _open(token, pin) as session:
        key: Any = _private_key(session, settings, certificate)  # a SignMixin PrivateKey
        is_ec = key.key_type == pkcs11.KeyType.EC
        mechanism = Mechanism.ECDSA_SHA256 if is_ec else Mechanism.SHA256_RSA_PKCS
        value = bytes(key.sign(data, mechanism=mechanism))
        # PKCS#11 ECDSA gives raw r||s; CMS and our verification want DER.
        return encode_ecdsa_signature(value) if is_ec else value


def _private_key(
    session: pkcs11.Session, settings: Mapping[str, str], certificate: bytes
) -> pkcs11.Object:
    query: dict[Attribute, object] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if settings.get("key_label"):
        query[Attribute.LABEL] = settings["key_label"]
    else:
        ids = [
            obj[Attribute.ID]
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
            if bytes(obj[Attribute.VALUE]) == certificate
        ]
        if not ids:
            raise SignerFailure(ErrorCode.HSM_KEY_MISSING)
        query[Attribute.ID] = ids[0]
    keys = list(session.get_objects(query))
    if len(keys) != 1:
        raise SignerFailure(ErrorCode.HSM_KEY_MISSING)
    key: pkcs11.Object = keys[0]
    return key
