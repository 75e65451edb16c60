"""PKCS#11 access to an HSM token: list certificates, sign with the matching private key.

python-pkcs11 calls are blocking C calls, so the signer type runs them in a thread. The
token is chosen by label (slot numbers change), the key by the certificate's CKA_ID or an
explicit key label. The PIN is used for the session and not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pkcs11
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from ebhxh.errors import ErrorCode
from ebhxh.signing.contract import SignerFailure

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_libraries: dict[str, Any] = {}  # pkcs11.lib instances, one per module path
_lock = threading.Lock()


def _library(path: str) -> Any:
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


def list_certificates(settings: Mapping[str, str]) -> list[bytes]:
    """Every X.509 certificate object on the token (public objects: no PIN needed)."""
    with _token(settings).open() as session:
        return [
            bytes(obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]


def sign(settings: Mapping[str, str], pin: str, certificate: bytes, data: bytes) -> bytes:
    """SHA-256 with RSA (PKCS#1 v1.5) or ECDSA over `data`, with the certificate's key."""
    token = _token(settings)
    try:
        session = token.open(user_pin=pin)
    except p11.PinIncorrect as exc:
        raise SignerFailure(ErrorCode.HSM_PIN_INCORRECT) from exc
    except p11.PinLocked as exc:
        raise SignerFailure(ErrorCode.HSM_PIN_LOCKED) from exc
    with session:
        key: Any = _private_key(session, settings, certificate)  # a SignMixin PrivateKey
        mechanism = (
            Mechanism.ECDSA_SHA256
            if key.key_type == pkcs11.KeyType.EC
            else Mechanism.SHA256_RSA_PKCS
        )
        return bytes(key.sign(data, mechanism=mechanism))


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
