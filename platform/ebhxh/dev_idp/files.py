"""The development provider's two secrets, generated into the data folder on first use:
its RS256 signing key (a private JWK) and the registered client's secret. Both files are
created with mode 0600 and never rewritten, so `ebhxh serve` and a tenant manifest that
reads the secret by file agree across restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from joserfc.jwk import RSAKey

from ebhxh.settings import Settings

FOLDER = "dev-idp"
KEY_FILE = "signing-key.jwk.json"
CLIENT_SECRET_FILE = "client-secret"  # noqa: S105 - a file name
RSA_BITS = 2048


def folder(settings: Settings) -> Path:
    return settings.data_path / FOLDER


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's text; when absent, `make()` written with mode 0600 first. The content is
    written to a private temporary file and linked into place, so a concurrent starter
    (the API and a worker) either wins or reads the winner's complete file.
    """
    if path.exists():
        return path.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(make())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_text(encoding="utf-8")


def _new_key() -> str:
    key = RSAKey.generate_key(RSA_BITS, private=True, auto_kid=True)
    return json.dumps(key.as_dict(private=True))


def signing_key(settings: Settings) -> RSAKey:
    """The provider's RS256 private key; its `kid` is the key's thumbprint."""
    data = json.loads(_read_or_create(folder(settings) / KEY_FILE, _new_key))
    return RSAKey.import_key(data)


def client_secret_path(settings: Settings) -> Path:
    """The file holding the `ebhxh-embedded` client's secret (created on first call), for a
    tenant's identity-provider settings that read the secret from a file.
    """
    path = folder(settings) / CLIENT_SECRET_FILE
    _read_or_create(path, lambda: secrets.token_urlsafe(32))
    return path


def client_secret(settings: Settings) -> str:
    return client_secret_path(settings).read_text(encoding="utf-8").strip()
