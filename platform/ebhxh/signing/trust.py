"""The trust store: CA certificates (and CRLs) that certificates must chain to.

Loaded from a folder (`EBHXH_TRUST_STORE_DIR`): `*.pem`, `*.crt`, `*.cer`, `*.der` for CA
certificates (self-signed ones are roots, the others intermediates) and `*.crl` for
revocation lists. Tests generate their own PKI into such a folder.
"""

from __future__ import annotations

from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


def _der_blocks(data: bytes) -> list[bytes]:
    if pem.detect(data):
        return [der for _, _, der in pem.unarmor(data, multiple=True)]
    return [data]


class TrustStore:
    """Trust roots, intermediates and CRLs for certificate and signature validation."""

    def __init__(
        self,
        roots: list[asn1_x509.Certificate] | None = None,
        intermediates: list[asn1_x509.Certificate] | None = None,
        crls: list[asn1_crl.CertificateList] | None = None,
    ) -> None:
        self.roots = roots or []
        self.intermediates = intermediates or []
        self.crls = crls or []

    @classmethod
    def from_folder(cls, folder: Path | None) -> TrustStore:
        """Everything in `folder` (none: an empty store that trusts nothing)."""
        store = cls()
        if folder is None or not folder.is_dir():
            return store
        for path in sorted(folder.iterdir()):
            suffix = path.suffix.lower()
            if suffix in CERT_SUFFIXES:
                for der in _der_blocks(path.read_bytes()):
                    store.add_certificate(der)
            elif suffix == ".crl":
                for der in _der_blocks(path.read_bytes()):
                    store.crls.append(asn1_crl.CertificateList.load(der))
        return store

    def add_certificate(self, der: bytes) -> None:
        certificate = asn1_x509.Certificate.load(der)
        if certificate.self_signed in ("yes", "maybe"):
            self.roots.append(certificate)
        else:
            self.intermediates.append(certificate)

    def __bool__(self) -> bool:
        return bool(self.roots)
