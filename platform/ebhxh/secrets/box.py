"""Encrypt and decrypt secrets with Fernet keys from `EBHXH_SECRET_KEYS`, with rotation.

The first key encrypts; every key decrypts, so a new key is put first and the old one kept
until `rotate` has re-encrypted what it protected. The embedded default generates a key
into its data folder (mode 0600) on first use, so a newcomer needs no setting.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
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
    """The embedded default's key, made on first use.

    The API and the worker start together and may both make one: each writes its key whole
    under a temporary name (mode 0600, synced to disk) and links it into place, which only
    the first link does; every process then reads that one, never a half-written file. On a
    filesystem without hard links it is created exclusively instead.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EMBEDDED_KEY_FILE
    if not path.exists():
        key = Fernet.generate_key()
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".secret-key-")
        try:
            with os.fdopen(descriptor, "wb") as sink:
                _write_synced(sink.fileno(), key)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:
                _create_exclusively(path, key)
        finally:
            os.unlink(temporary)
        _sync_folder(folder)
    return path.read_bytes().strip()


def _write_synced(descriptor: int, data: bytes) -> None:
    os.write(descriptor, data)
    os.fsync(descriptor)


def _create_exclusively(path: Path, key: bytes) -> None:
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_synced(descriptor, key)
        finally:
            os.close(descriptor)


def _sync_folder(folder: Path) -> None:
    """Make the new file's name durable: secrets encrypted with the key outlive a crash."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
