"""The fast issuer-and-serial match gives pyHanko's answer: the ESS form (a directoryName
in GeneralNames) and the signer identifier's form, matching or not by issuer or serial,
names equal as directory names but not byte for byte, more than one general name.
"""

from __future__ import annotations

import pytest
from asn1crypto import cms, tsp, x509
from cryptography.hazmat.primitives.serialization import Encoding

from ebhxh.demo import pki
from ebhxh.signing import issuers

CA = pki.LocalCA("Issuer Test CA")
OTHER_CA = pki.LocalCA("Another CA")
CERTIFICATE = x509.Certificate.load(
    CA.issue(pki.new_key().public_key(), pki.name("CÔNG TY SÔNG HỒNG", "MST:0100109106"))
)
SERIAL = CERTIFICATE.serial_number
ISSUER = CERTIFICATE.issuer
# The CA's name again, written differently (UTF8String -> PrintableString, other case):
# the same directory name, other bytes.
SPELLED_OTHERWISE = x509.Name.build(
    {"country_name": "VN", "common_name": "ISSUER TEST CA"}, use_printable=True
)
OTHER_ISSUER = x509.Certificate.load(OTHER_CA.certificate.public_bytes(Encoding.DER)).subject


def test_spelled_otherwise_is_the_same_name_in_other_bytes() -> None:
    assert SPELLED_OTHERWISE == ISSUER
    assert SPELLED_OTHERWISE.dump() != ISSUER.dump()


def _ess(names: list[x509.Name], serial: int) -> tsp.IssuerSerial:
    general = [x509.GeneralName({"directory_name": name}) for name in names]
    # Encoded and read back, as a validator meets it in a signature.
    return tsp.IssuerSerial.load(
        tsp.IssuerSerial({"issuer": general, "serial_number": serial}).dump()
    )


def _sid(name: x509.Name, serial: int) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber.load(
        cms.IssuerAndSerialNumber({"issuer": name, "serial_number": serial}).dump()
    )


@pytest.mark.parametrize(
    ("expected", "matches"),
    [
        (_ess([ISSUER], SERIAL), True),
        (_ess([ISSUER], SERIAL + 1), False),
        (_ess([OTHER_ISSUER], SERIAL), False),
        (_ess([SPELLED_OTHERWISE], SERIAL), True),
        (_ess([ISSUER, ISSUER], SERIAL), False),
        (_sid(ISSUER, SERIAL), True),
        (_sid(ISSUER, SERIAL + 1), False),
        (_sid(OTHER_ISSUER, SERIAL), False),
        (_sid(SPELLED_OTHERWISE, SERIAL), True),
    ],
)
def test_the_same_as_pyhankos_match(
    expected: tsp.IssuerSerial | cms.IssuerAndSerialNumber, matches: bool
) -> None:
    assert issuers._pyhanko_match(expected, CERTIFICATE) is matches
    assert issuers.match_issuer_serial(expected, CERTIFICATE) is matches


def test_installed_in_pyhankos_checks() -> None:
    from pyhanko.sign import general

    import ebhxh.signing.validation  # noqa: F401 - installs it

    assert general.match_issuer_serial is issuers.match_issuer_serial
