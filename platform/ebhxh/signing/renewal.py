"""Noticing a renewed or replaced certificate: the signer's device no longer holds the
certificate registered for the unit, but holds another one of the same tax code.

VSS knows the unit by the registered certificate, so signing with the new one would be
refused at submission. The platform says so at the unit's signature setup and points to
the way out: set the signature up with the new certificate, then file the
change-of-registration dossier.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ebhxh.errors import ErrorCode
from ebhxh.errors.messages import Language, render
from ebhxh.signing.certificates import CertificateSummary, summarise


class CertificateChange(msgspec.Struct, frozen=True, kw_only=True):
    """The registered certificate is gone from the device; `new` is the one there now."""

    registered: CertificateSummary
    new: CertificateSummary

    def explained(self, language: Language) -> str:
        return render(
            ErrorCode.CERT_CHANGED_ON_TOKEN,
            language,
            {"value": self.registered.serial, "new": self.new.serial},
        )


def certificate_change(
    registered: bytes, reported: Sequence[bytes], tax_code: str
) -> CertificateChange | None:
    """A change when `registered` is not among `reported` and a certificate carrying
    `tax_code` is (the newest, by validity start); None otherwise.
    """
    if registered in reported:
        return None
    candidates = []
    for der in reported:
        try:
            summary = summarise(der)
        except ValueError:
            continue
        if tax_code.replace("-", "") in summary.tax_codes and not summary.personal:
            candidates.append(summary)
    if not candidates:
        return None
    newest = max(candidates, key=lambda summary: summary.not_before)
    return CertificateChange(registered=summarise(registered), new=newest)
