"""Certificate checks at signature setup and at every signing.

A certificate is accepted when it is valid now, chains to the trust store, allows signing
(digitalSignature or nonRepudiation), is not revoked by a CRL the store holds, and its
subject carries the unit's tax code. Vietnamese organisation certificates put the tax code
in the subject, commonly as `UID=MST:0101234567`; personal certificates carry a citizen id
(`CCCD:`, `CMND:`) instead, and are explained as such.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import msgspec
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing.trust import TrustStore

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")
# Only the identifier attributes count, each value whole: a tax code mentioned in a CN or OU
# ("Nguyễn Văn A (MST: 0100109106)") proves nothing about whose key it is.
_IDENTIFIER_ATTRIBUTES = (NameOID.USER_ID, NameOID.SERIAL_NUMBER, ORGANIZATION_IDENTIFIER)
_TAX_CODE = re.compile(r"^(?:MST|TIN|VATVN)\s*[:=\-]?\s*([0-9]{10}(?:-[0-9]{3})?)\Z", re.I)
_PERSONAL = re.compile(r"^(?:CCCD|CMND|HC|PASSPORT)\s*[:=\-]", re.I)
# A certificate that names its purposes must name one that covers signing documents.
_SIGNING_PURPOSES = {
    ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # id-kp-documentSigning (RFC 9336)
    x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
}


class CertificateSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What the platform shows and records about a certificate."""

    serial: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str
    tax_codes: tuple[str, ...]
    personal: bool


def _compact(tax_code: str) -> str:
    return re.sub(r"[\s\-]", "", tax_code)


def summarise(der: bytes) -> CertificateSummary:
    """Serial (hex), subject, validity and the tax codes found in the subject."""
    certificate = x509.load_der_x509_certificate(der)
    identifiers = [
        str(attribute.value).strip()
        for oid in _IDENTIFIER_ATTRIBUTES
        for attribute in certificate.subject.get_attributes_for_oid(oid)
    ]
    tax_codes = tuple(
        _compact(found.group(1)) for value in identifiers if (found := _TAX_CODE.match(value))
    )
    return CertificateSummary(
        serial=format(certificate.serial_number, "X"),
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest(),
        tax_codes=tax_codes,
        personal=any(_PERSONAL.match(value) for value in identifiers),
    )


def _allows_signing(der: bytes) -> bool:
    certificate = x509.load_der_x509_certificate(der)
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if not (usage.digital_signature or usage.content_commitment):
        return False
    try:
        purposes = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(_SIGNING_PURPOSES.intersection(purposes))


def _revoked_by_store(der: bytes, trust: TrustStore) -> bool:
    """Whether a CRL in the store, from the certificate's issuer, lists its serial.

    Checked directly because path validation only consults CRLs for certificates that
    name a distribution point.
    """
    certificate = x509.load_der_x509_certificate(der)
    for crl in trust.crls:
        revocations = x509.load_der_x509_crl(crl.dump())
        if revocations.issuer != certificate.issuer:
            continue
        if revocations.get_revoked_certificate_by_serial_number(certificate.serial_number):
            return True
    return False


async def check_certificate(
    der: bytes,
    *,
    tax_code: str,
    trust: TrustStore,
    now: dt.datetime,
    chain: tuple[bytes, ...] = (),
    field: str = "certificate",
    path_checked: bool = False,
) -> CertificateSummary:
    """The certificate's summary, or a `ProblemError` with the first reason to refuse it.

    `path_checked`: the caller has already validated the certificate's path at `now`, to
    the store's roots through the store's certificates only, with the store's CRLs (as
    `validation.validate_signed_pdf` has pyHanko do): it is not validated a second time.
    """
    summary = summarise(der)
    dates = {
        "not_before": summary.not_before.isoformat(),
        "not_after": summary.not_after.isoformat(),
    }
    if now < summary.not_before:
        raise ProblemError(ErrorCode.CERT_NOT_YET_VALID, field=field, params=dates)
    if now > summary.not_after:
        raise ProblemError(ErrorCode.CERT_EXPIRED, field=field, params=dates)
    if not _allows_signing(der):
        raise ProblemError(ErrorCode.CERT_KEY_USAGE, field=field)
    if summary.personal or _compact(tax_code) not in summary.tax_codes:
        code = ErrorCode.CERT_PERSONAL if summary.personal else ErrorCode.CERT_TAX_CODE_MISMATCH
        found = ", ".join(summary.tax_codes) or "—"
        raise ProblemError(code, field=field, params={"value": tax_code, "found": found})
    if _revoked_by_store(der, trust):
        raise ProblemError(ErrorCode.CERT_REVOKED, field=field)
    if path_checked:
        return summary
    context = ValidationContext(
        trust_roots=trust.roots,
        other_certs=[*trust.intermediates, *(asn1_x509.Certificate.load(c) for c in chain)],
        crls=trust.crls,
        moment=now,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    validator = CertificateValidator(asn1_x509.Certificate.load(der), validation_context=context)
    try:
        await validator.async_validate_usage(set(), extended_optional=True)  # type: ignore[no-untyped-call]
    except RevokedError as exc:
        raise ProblemError(ErrorCode.CERT_REVOKED, field=field) from exc
    except ExpiredError as exc:
        raise ProblemError(ErrorCode.CERT_EXPIRED, field=field, params=dates) from exc
    except NotYetValidError as exc:
        raise ProblemError(ErrorCode.CERT_NOT_YET_VALID, field=field, params=dates) from exc
    except (PathBuildingError, PathValidationError) as exc:
        raise ProblemError(
            ErrorCode.CERT_UNTRUSTED, field=field, params={"issuer": summary.issuer}
        ) from exc
    return summary
