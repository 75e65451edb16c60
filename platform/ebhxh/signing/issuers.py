"""A faster match of a certificate against an issuer-and-serial identifier.

pyHanko checks a signature's signing-certificate attribute (ESS, RFC 5035) and its signer
identifier with `match_issuer_serial`: it first compares the two issuer names byte for byte
and only when they differ compares them as directory names (asn1crypto prepares every
string of both names, about 0.1 ms a comparison, several comparisons a validation). In the
ESS attribute the issuer is a `directoryName` in a GeneralNames, an explicitly tagged
value, and pyHanko compares its encoding with the tag: the bytes never match, and every
validation took the slow comparison.

`match_issuer_serial` here compares the untagged bytes first. Identical encodings of a name
are the same name, so a match there is pyHanko's answer (the one exception: a name whose
strings the directory-name comparison cannot prepare, where pyHanko answers "no match"
although the bytes are the same; its byte comparison exists to accept exactly those).
Anything else is left to pyHanko's own function.

`install` puts it in place of pyHanko's in `pyhanko.sign.general`, where the ESS check
and the signer lookup find it.
"""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import cms, tsp, x509
from pyhanko.sign import general

_pyhanko_match: Callable[[cms.IssuerAndSerialNumber | tsp.IssuerSerial, x509.Certificate], bool]
_pyhanko_match = general.match_issuer_serial
"""pyHanko's own function, for everything but byte-identical issuers."""


def match_issuer_serial(
    expected_issuer_serial: cms.IssuerAndSerialNumber | tsp.IssuerSerial,
    cert: x509.Certificate,
) -> bool:
    """Whether `cert` has the issuer and serial number `expected_issuer_serial` names
    (pyHanko's parameter names: it may pass them by name).
    """
    expected, certificate = expected_issuer_serial, cert
    issuer = expected["issuer"]
    if isinstance(issuer, x509.GeneralNames):
        if len(issuer) != 1 or issuer[0].name != "directory_name":
            return _pyhanko_match(expected, certificate)
        issuer = issuer[0].chosen.untag()  # the name's own encoding, without [4]
    if issuer.dump() == certificate.issuer.dump():
        same: bool = expected["serial_number"] == certificate["tbs_certificate"]["serial_number"]
        return same
    return _pyhanko_match(expected, certificate)


def install() -> None:
    """Match issuers with `match_issuer_serial` in pyHanko's signature checks (idempotent)."""
    general.match_issuer_serial = match_issuer_serial
