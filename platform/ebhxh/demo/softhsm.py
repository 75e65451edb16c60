"""A real PKCS#11 token for the demo and the tests: SoftHSM2 in a folder, selected by label.

Keys are generated inside the token (non-extractable, as in a real HSM); their
certificates are issued by the test CA from the public key read back over PKCS#11 and
written into the token next to the key, with the same CKA_ID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "12345678"


def available() -> bool:
    return Path(MODULE).exists() and shutil.which("softhsm2-util") is not None


def configure(folder: Path) -> Path:
    """Point SoftHSM2 at a fresh token folder (before any PKCS#11 library is loaded)."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True)
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(config)
    return config


def init_token(label: str, pin: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [  # noqa: S607 - softhsm2-util from the Debian package, on PATH
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            pin,
        ],
        check=True,
        capture_output=True,
    )


def add_key_and_certificate(
    label: str,
    pin: str,
    key_id: bytes,
    issue: Callable[[rsa.RSAPublicKey], bytes],
) -> bytes:
    """Generate an RSA-2048 key pair in the token; store the certificate `issue` makes."""
    token = pkcs11.lib(MODULE).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        public, _private = session.generate_keypair(
            KeyType.RSA, 2048, id=key_id, label=f"key-{key_id.hex()}", store=True
        )
        numbers = rsa.RSAPublicNumbers(
            int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
            int.from_bytes(public[Attribute.MODULUS], "big"),
        )
        der = issue(numbers.public_key())
        certificate = x509.load_der_x509_certificate(der)
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.ID: key_id,
                Attribute.LABEL: f"cert-{key_id.hex()}",
                Attribute.VALUE: der,
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.ISSUER: certificate.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: certificate.serial_number.to_bytes(20, "big"),
            }
        )
    return der
