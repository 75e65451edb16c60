"""PKCS#11 tokens, shared by every signer that talks to one: the HSM signer type inside the
platform and the USB-token bridge agent on a user's PC.

What is here: load a module, find a token by label or serial, list its certificates, sign
to-be-signed bytes with the key of a certificate, and turn the token's PIN errors into a
`TokenProblem`. What is not: which modules may be loaded (the platform's operator decides
for the HSM; the PC's owner for the agent) and how a problem becomes an error code.

python-pkcs11 calls are blocking C calls: async callers run them in a thread. Logins are
per token and process, so calls on one token take turns. The PIN is used for the session
and not kept.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Any

import pkcs11
from pkcs11 import Attribute, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11
from pkcs11.util.ec import encode_ecdsa_signature

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_libraries: dict[str, Any] = {}  # pkcs11.lib instances, one per module path
_lock = threading.Lock()
_token_locks: dict[str, threading.Lock] = {}


class TokenProblem(StrEnum):
    """Why a token could not be used."""

    MODULE = "module"
    """The PKCS#11 module could not be loaded."""
    TOKEN_MISSING = "token_missing"  # noqa: S105 - a problem name, not a secret
    """No token (or more than one) answers to the label or serial: unplugged, wrong name."""
    KEY_MISSING = "key_missing"
    PIN_INCORRECT = "pin_incorrect"
    PIN_LOCKED = "pin_locked"
    DEVICE = "device"
    """Any other PKCS#11 error."""


class TokenFailure(Exception):
    """A token operation failed for `problem`; `detail` is safe to log (never a PIN)."""

    def __init__(self, problem: TokenProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


class TokenRef:
    """Which token: a module path and the token's label or serial (slot numbers change)."""

    def __init__(self, module_path: str, label: str = "", serial: str = "") -> None:
        if not label and not serial:
            raise ValueError("a token is chosen by its label or its serial")
        self.module_path = module_path
        self.label = label
        self.serial = serial

    @property
    def name(self) -> str:
        return self.label or f"serial {self.serial}"


def library(path: str) -> Any:
    """The loaded module at `path` (loaded once per process)."""
    with _lock:
        if path not in _libraries:
            try:
                _libraries[path] = pkcs11.lib(path)
            except (OSError, RuntimeError, p11.PKCS11Error) as exc:
                raise TokenFailure(TokenProblem.MODULE, f"cannot load {path}") from exc
        return _libraries[path]


def find_token(ref: TokenRef) -> pkcs11.Token:
    """The one token `ref` names, or `TOKEN_MISSING`."""
    lib = library(ref.module_path)
    query: dict[str, Any] = {"token_label": ref.label} if ref.label else {}
    if ref.serial:
        query["token_serial"] = ref.serial.encode()
    try:
        token: pkcs11.Token = lib.get_token(**query)
        return token
    except (p11.NoSuchToken, p11.MultipleTokensReturned) as exc:
        raise TokenFailure(TokenProblem.TOKEN_MISSING, ref.name) from exc
    except p11.PKCS11Error as exc:
        raise TokenFailure(TokenProblem.DEVICE, type(exc).__name__) from exc


def pin_flags(ref: TokenRef) -> TokenFlag:
    """The token's PIN counters as it reports them now (a fresh read of its token info):
    USER_PIN_COUNT_LOW after a wrong PIN, USER_PIN_FINAL_TRY when one more wrong PIN locks
    it, USER_PIN_LOCKED once locked.
    """
    return TokenFlag(find_token(ref).flags)


def _turn(token: pkcs11.Token) -> threading.Lock:
    with _lock:
        return _token_locks.setdefault(f"{token.label}/{token.serial!r}", threading.Lock())


def _open(token: pkcs11.Token, pin: str | None) -> Any:
    try:
        return token.open(user_pin=pin) if pin is not None else token.open()
    except p11.PinLocked as exc:
        raise TokenFailure(TokenProblem.PIN_LOCKED) from exc
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise TokenFailure(TokenProblem.PIN_INCORRECT) from exc
    except (p11.TokenNotPresent, p11.DeviceRemoved, p11.SlotIDInvalid) as exc:
        raise TokenFailure(TokenProblem.TOKEN_MISSING, token.label) from exc
    except p11.PKCS11Error as exc:
        raise TokenFailure(TokenProblem.DEVICE, type(exc).__name__) from exc


def certificates(token: pkcs11.Token, pin: str | None = None) -> list[bytes]:
    """Every X.509 certificate on the token. With a PIN, the PIN is proven first (a setup
    must show it can use the token, not only read its public objects).
    """
    with _turn(token), _open(token, pin) as session:
        return [
            bytes(obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]


def sign(
    token: pkcs11.Token, pin: str, certificate: bytes, data: bytes, key_label: str = ""
) -> bytes:
    """SHA-256 with RSA (PKCS#1 v1.5) or ECDSA over `data`, with the certificate's key
    (found by the certificate's CKA_ID, or by `key_label` when given).
    """
    with _turn(token), _open(token, pin) as session:
        try:
            key: Any = _private_key(session, certificate, key_label)  # a SignMixin key
            is_ec = key.key_type == pkcs11.KeyType.EC
            mechanism = Mechanism.ECDSA_SHA256 if is_ec else Mechanism.SHA256_RSA_PKCS
            value = bytes(key.sign(data, mechanism=mechanism))
        except p11.PKCS11Error as exc:
            raise TokenFailure(TokenProblem.DEVICE, type(exc).__name__) from exc
        # PKCS#11 ECDSA gives raw r||s; CMS and our verification want DER.
        return encode_ecdsa_signature(value) if is_ec else value


def _private_key(session: pkcs11.Session, certificate: bytes, key_label: str) -> pkcs11.Object:
    query: dict[Attribute, object] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if key_label:
        query[Attribute.LABEL] = key_label
    else:
        ids = [
            obj[Attribute.ID]
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
            if bytes(obj[Attribute.VALUE]) == certificate
        ]
        if not ids:
            raise TokenFailure(TokenProblem.KEY_MISSING)
        query[Attribute.ID] = ids[0]
    keys = list(session.get_objects(query))
    if len(keys) != 1:
        raise TokenFailure(TokenProblem.KEY_MISSING)
    key: pkcs11.Object = keys[0]
    return key
