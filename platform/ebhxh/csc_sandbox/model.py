"""The CSC sandbox's state: its CA, users with their credentials (keys it keeps), OAuth2
clients, credential authorizations waiting for the signer's approval, and fault knobs.

Approval works as in Vietnamese remote-signing services (VNPT SmartCA, Viettel MySign):
`credentials/authorize` does not answer with the SAD at once; it starts an authorization
the signer approves or refuses on their phone (here: the HTTP control endpoints or
`ebhxh csc-sandbox approve`), and the client asks `credentials/authorizeCheck` until it
has the SAD, a refusal, or an expiry. The SAD is bound to the hashes it was asked for and
is good for `numSignatures` signatures until it expires.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from ebhxh.clock import Clock, SystemClock
from ebhxh.demo import pki

SHA256_OID = "2.16.840.1.101.3.4.2.1"
SHA256_WITH_RSA_OID = "1.2.840.113549.1.1.11"
RSA_OID = "1.2.840.113549.1.1.1"
DEFAULT_CLIENT_ID = "ebhxh"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's published demo secret


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    EXPIRED = "expired"


class Faults(msgspec.Struct, kw_only=True):
    """How the sandbox misbehaves (all off by default); set with PUT /sandbox/faults."""

    down: bool = False
    """Answer every CSC call 503."""
    fail_next: int = 0
    """Answer the next N CSC calls 503 (a transient outage), then work."""
    approval_seconds: int = 300
    """How long the signer has to approve before the authorization expires."""
    sad_seconds: int = 300
    """How long a SAD really lasts (0: expired before any signHash)."""
    reported_sad_seconds: int | None = None
    """The `expiresIn` told to the client, when it should differ from the truth."""
    bind_wrong_hash: bool = False
    """Bind the SAD to another hash than the one asked (a service mixing requests up)."""
    auto_approve: bool = False
    """Approve every authorization at once (demos)."""


@dataclass
class Credential:
    credential_id: str
    user_id: str
    key: rsa.RSAPrivateKey
    certificate: bytes
    multisign: int = 1


@dataclass
class Authorization:
    response_id: str
    credential_id: str
    hashes: list[bytes]
    num_signatures: int
    description: str
    created_at: dt.datetime
    approve_by: dt.datetime
    status: Status = Status.PENDING
    sad: str | None = None
    sad_expires_at: dt.datetime | None = None
    uses_left: int = 0


@dataclass
class SandboxState:
    """Everything the sandbox knows; one lock guards it (uvicorn runs one loop, tests call
    it from their thread too).
    """

    ca: pki.LocalCA
    clock: Clock = field(default_factory=SystemClock)
    clients: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    )
    credentials: dict[str, Credential] = field(default_factory=dict)
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    folder: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- users and credentials --------------------------------------------------------

    def add_user(self, user_id: str, common_name: str, uid: str, multisign: int = 1) -> Credential:
        """A new credential for `user_id`: a fresh key and a certificate from the CA with
        subject `common_name` and `UID=uid` (`MST:<tax code>` or `CCCD:<citizen id>`).
        """
        key = pki.new_key()
        credential = Credential(
            credential_id=f"cred-{secrets.token_hex(6)}",
            user_id=user_id,
            key=key,
            certificate=self.ca.issue(key.public_key(), pki.name(common_name, uid)),
            multisign=multisign,
        )
        with self.lock:
            self.credentials[credential.credential_id] = credential
        self._save()
        return credential

    def credentials_of(self, user_id: str) -> list[Credential]:
        return [c for c in self.credentials.values() if c.user_id == user_id]

    # --- authorizations ------------------------------------------------------------------

    def authorize(
        self, credential_id: str, hashes_: list[bytes], num_signatures: int, description: str
    ) -> Authorization:
        now = self.clock.now()
        bound = [secrets.token_bytes(32)] if self.faults.bind_wrong_hash else list(hashes_)
        authorization = Authorization(
            response_id=f"auth-{secrets.token_hex(8)}",
            credential_id=credential_id,
            hashes=bound,
            num_signatures=num_signatures,
            description=description,
            created_at=now,
            approve_by=now + dt.timedelta(seconds=self.faults.approval_seconds),
        )
        with self.lock:
            self.authorizations[authorization.response_id] = authorization
        if self.faults.auto_approve:
            self.decide(authorization.response_id, approve=True)
        return authorization

    def current(self, response_id: str) -> Authorization | None:
        """The authorization, expired first when its approval window passed."""
        with self.lock:
            found = self.authorizations.get(response_id)
            if (
                found is not None
                and found.status is Status.PENDING
                and self.clock.now() > found.approve_by
            ):
                found.status = Status.EXPIRED
            return found

    def pending(self) -> list[Authorization]:
        return [
            a
            for a in list(self.authorizations.values())
            if (current := self.current(a.response_id)) and current.status is Status.PENDING
        ]

    def decide(self, response_id: str, *, approve: bool) -> Authorization | None:
        """The signer approves (a SAD is issued) or refuses; None when not pending."""
        found = self.current(response_id)
        if found is None or found.status is not Status.PENDING:
            return None
        with self.lock:
            if approve:
                found.status = Status.APPROVED
                found.sad = secrets.token_urlsafe(24)
                found.sad_expires_at = self.clock.now() + dt.timedelta(
                    seconds=self.faults.sad_seconds
                )
                found.uses_left = found.num_signatures
            else:
                found.status = Status.REFUSED
        return found

    def reported_sad_seconds(self) -> int:
        reported = self.faults.reported_sad_seconds
        return self.faults.sad_seconds if reported is None else reported

    # --- signing -------------------------------------------------------------------------

    def sign_hash(self, credential_id: str, sad: str, digests: list[bytes]) -> list[bytes] | str:
        """The signatures, or why not (a message for `error_description`)."""
        with self.lock:
            found = next((a for a in self.authorizations.values() if a.sad == sad and sad), None)
            if found is None or found.credential_id != credential_id:
                return "Invalid SAD"
            if found.sad_expires_at is None or self.clock.now() >= found.sad_expires_at:
                return "SAD expired"
            if any(digest not in found.hashes for digest in digests):
                return "Hash not authorized by the SAD"
            if found.uses_left < len(digests):
                return "numSignatures exceeded for this SAD"
            found.uses_left -= len(digests)
            key = self.credentials[credential_id].key
        return [
            key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
            for digest in digests
        ]

    # --- keeping it across restarts ------------------------------------------------------

    @classmethod
    def kept_in(cls, folder: Path, clock: Clock | None = None) -> SandboxState:
        """The sandbox saved in `folder` (its CA and users), with demo users on first use."""
        state = cls(ca=pki.LocalCA.kept_in(folder, "eBHXH CSC Sandbox CA"), folder=folder)
        if clock is not None:
            state.clock = clock
        saved = folder / "credentials.json"
        if saved.exists():
            for entry in json.loads(saved.read_text(encoding="utf-8")):
                key = serialization.load_pem_private_key(entry["key"].encode(), password=None)
                assert isinstance(key, rsa.RSAPrivateKey)  # noqa: S101 - we wrote it
                state.credentials[entry["credential_id"]] = Credential(
                    credential_id=entry["credential_id"],
                    user_id=entry["user_id"],
                    key=key,
                    certificate=base64.b64decode(entry["certificate"]),
                    multisign=entry["multisign"],
                )
        else:
            state.add_demo_users()
        return state

    def add_demo_users(self) -> None:
        """`songhong`: the demo company's certificate and a personal one of its director."""
        self.add_user("songhong", "CÔNG TY CỔ PHẦN SÔNG HỒNG", "MST:0100109106")
        self.add_user("songhong", "Nguyễn Văn An", "CCCD:001085012345")

    def _save(self) -> None:
        if self.folder is None:
            return
        entries = [
            {
                "credential_id": c.credential_id,
                "user_id": c.user_id,
                "multisign": c.multisign,
                "certificate": base64.b64encode(c.certificate).decode(),
                "key": c.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
            }
            for c in self.credentials.values()
        ]
        path = self.folder / "credentials.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        path.chmod(0o600)


def certificate_fields(der: bytes) -> dict[str, str]:
    """The `cert` fields of credentials/info besides the chain."""
    certificate = x509.load_der_x509_certificate(der)
    return {
        "issuerDN": certificate.issuer.rfc4514_string(),
        "subjectDN": certificate.subject.rfc4514_string(),
        "serialNumber": format(certificate.serial_number, "x"),
        "validFrom": certificate.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ"),
        "validTo": certificate.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
    }
