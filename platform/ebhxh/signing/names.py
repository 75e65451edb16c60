"""Prepared directory-name values, remembered by their encoding.

asn1crypto compares and indexes X.500 names by their prepared values: each string of each
relative distinguished name (RDN) case-folded and normalised with stringprep (RFC 4518),
work it does again at every comparison and every `hashable` read. Validating one signature
reads the same few names (the signer's, its CA's) a dozen times: the certificate registry
indexes the trust store by subject, path building looks the issuer up, the CRL check
compares its issuer. That was about a tenth of a validation.

`install` makes `RelativeDistinguishedName._get_values`, where both the comparison and
`hashable` prepare an RDN's values, remember its answer for an RDN's encoding: the
prepared values are a function of the encoded RDN alone. Bounded in count (the least
recently used go first) and in size: the names come from the certificates of documents
sent from outside, and an RDN longer than `LONGEST` bytes is prepared each time instead,
as is a tagged one (its encoding is not an RDN's). Each caller gets its own copy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from asn1crypto import x509

REMEMBERED = 4096
"""RDNs remembered (a trust store and its signers' names: a few each)."""
LONGEST = 1024
"""Bytes of the longest RDN remembered (a real one is tens of bytes): at most 4 MiB held."""

_asn1crypto_values: Callable[
    [x509.RelativeDistinguishedName, x509.RelativeDistinguishedName], dict[str, str]
]
_asn1crypto_values = x509.RelativeDistinguishedName._get_values
"""asn1crypto's own preparation (a method that takes the RDN as its argument)."""


@functools.lru_cache(maxsize=REMEMBERED)
def _prepared(encoded: bytes) -> dict[str, str]:
    rdn = x509.RelativeDistinguishedName.load(encoded)
    return _asn1crypto_values(rdn, rdn)


def prepared_values(
    self: x509.RelativeDistinguishedName, rdn: x509.RelativeDistinguishedName
) -> dict[str, str]:
    """The prepared values of `rdn` by attribute type, as asn1crypto's `_get_values`."""
    encoded = rdn.dump()
    if len(encoded) > LONGEST or rdn.implicit or rdn.explicit:
        return _asn1crypto_values(self, rdn)
    return dict(_prepared(encoded))


def install() -> None:
    """Remember prepared RDN values in asn1crypto's names (idempotent)."""
    x509.RelativeDistinguishedName._get_values = prepared_values
