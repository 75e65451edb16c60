"""The certified OpenID provider (npm `oidc-provider`) as a Node.js process on 127.0.0.1.

Installed from the npm registry into tests/oidc_provider (`npm ci`, from the committed
lockfile) when missing. Its users live in a JSON file it re-reads on every sign-in, so a test
can change someone's groups between sign-ins; `rotate_key` restarts it with a new signing
key (a new `kid`) on the same address.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from ebhxh.demo.threaded import free_port

FOLDER = Path(__file__).resolve().parent.parent / "oidc_provider"


def ensure_installed() -> None:
    if (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the SSO tests (Node.js 20)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=FOLDER, check=True, timeout=300
    )


class CertifiedProvider:
    """oidc-provider with one confidential client and the users a test sets."""

    def __init__(self, workdir: Path, redirect_uri: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id = "ebhxh-test-client"
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uri = redirect_uri
        self.users_file = workdir / "users.json"
        self.kid = ""
        self._key: dict[str, Any] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self.set_users({})
        self._new_key()

    def _new_key(self) -> None:
        self.kid = f"key-{secrets.token_hex(4)}"
        key = RSAKey.generate_key(2048, parameters={"kid": self.kid, "use": "sig"}, private=True)
        self._key = key.as_dict(private=True)

    def set_users(self, users: dict[str, dict[str, Any]]) -> None:
        """Accounts by login: {"ana": {"email": ..., "name": ..., "groups": [...]}}."""
        self.users_file.write_text(json.dumps(users), encoding="utf-8")

    def start(self) -> None:
        config = {
            "issuer": self.issuer,
            "port": self.port,
            "usersFile": str(self.users_file),
            "jwks": {"keys": [self._key]},
            "clients": [
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uris": [self.redirect_uri],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "client_secret_basic",
                }
            ],
        }
        path = self.workdir / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self._process = subprocess.Popen(
            ["node", str(FOLDER / "server.mjs"), str(path)],
            cwd=FOLDER,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("oidc-provider exited at start")
            try:
                if httpx.get(self.issuer + "/.well-known/openid-configuration").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("oidc-provider did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def rotate_key(self) -> None:
        """Restart with a new signing key only (the old `kid` is gone from its JWKS)."""
        self.stop()
        self._new_key()
        self.start()
