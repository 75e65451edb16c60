"""A test PKI made on the fly: a CA, a CRL, and certificates for every case the checks
must tell apart (good organisation certificate, expired, not yet valid, personal, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)
CRL_URL = "http://ca.ebhxh.test/test-ca.crl"  # never fetched: the CRL is in the trust store
SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
ENCRYPTION_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=True,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str, uid: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if uid:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attributes)


class LocalCA:
    """A self-signed CA that issues end-entity certificates and a CRL."""

    def __init__(self, common_name: str = "eBHXH Local CA") -> None:
        self.key = new_key()
        self.name = name(common_name)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=365))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.revoked: list[int] = []

    @classmethod
    def kept_in(cls, folder: Path, common_name: str) -> LocalCA:
        """The CA saved in `folder` (`ca.pem`, `ca-key.pem`), made and saved there first
        when there is none: a sandbox keeps its CA across restarts, so trust stays put.
        """
        key_path, cert_path = folder / "ca-key.pem", folder / "ca.pem"
        if not key_path.exists():
            made = cls(common_name)
            folder.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(
                made.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)
            cert_path.write_bytes(made.pem)
            return made
        loaded = cls.__new__(cls)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} is not an RSA key")
        loaded.key = key
        loaded.certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        loaded.name = loaded.certificate.subject
        loaded.revoked = []
        return loaded

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        public_key: CertificateIssuerPublicKeyTypes,
        subject: x509.Name,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        usage: x509.KeyUsage = SIGNING_USAGE,
    ) -> bytes:
        """A DER certificate for `public_key`."""
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - dt.timedelta(days=30))
            .not_valid_after(not_after or NOW + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(CRL_URL)],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.DER)

    def revoke(self, der: bytes) -> None:
        self.revoked.append(x509.load_der_x509_certificate(der).serial_number)

    def crl_der(self) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.name)
            .last_update(NOW - dt.timedelta(hours=1))
            .next_update(NOW + dt.timedelta(days=7))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(x509.CRLNumber(1), critical=False)
        )
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(NOW - dt.timedelta(minutes=5))
                .build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def write_trust_store(self, folder: Path, extra: Sequence[bytes] = ()) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ca.pem").write_bytes(self.pem)
        (folder / "ca.crl").write_bytes(self.crl_der())
        for index, pem in enumerate(extra):
            (folder / f"extra-{index}.pem").write_bytes(pem)
        return folder
