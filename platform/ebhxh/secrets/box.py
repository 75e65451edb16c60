"""Encrypt and decrypt secrets with Fernet keys from `EBHXH_SECRET_KEYS`, with rotation.

The first key encrypts; every key decrypts, so a new key is put first and the old one kept
until `rotate` has re-encrypted what it protected. The embedded default generates a key
into its data folder (mode 0600) on first use, so a newcomer needs no setting.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.settings import Settings

EMBEDDED_KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_keys:
            return cls([key.encode() for key in settings.secret_keys])
        if settings.embedded:
            return cls([_embedded_key(settings.data_path)])
        return cls([])

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise ProblemError(ErrorCode.SECRETS_KEY_MISSING, status=503)
        return self._fernet

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._require().encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return self._require().decrypt(ciphertext)
        except InvalidToken as exc:
            raise ProblemError(ErrorCode.SECRETS_KEY_MISSING, status=503) from exc

    def rotate(self, ciphertext: bytes) -> bytes:
        """Re-encrypt under the first key."""
        return self._require().rotate(ciphertext)


def _embedded_key(folder: Path) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EMBEDDED_KEY_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as sink:
            sink.write(Fernet.generate_key())
    return path.read_bytes().strip()
