"""Validate a signed PDF: the one function the platform and the VSS sandbox both use.

A document is valid when its signature is intact, covers the whole file, was made with a
certificate that passes the certificate checks at the signing moment, and (when the caller
knows it) the embedded XML declaration is the one expected.
"""

from __future__ import annotations

import datetime as dt
import io

import msgspec
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from ebhxh.documents.render import XML_ATTACHMENT
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing import hexstrings, issuers, names
from ebhxh.signing.certificates import CertificateSummary, check_certificate
from ebhxh.signing.trust import TrustStore

hexstrings.install()  # the signature's /Contents in one read, not one byte at a time
issuers.install()  # an ESS issuer compared by its bytes before by its prepared strings
names.install()  # a name's prepared strings made once per encoding, not at each comparison


class SignatureReport(msgspec.Struct, frozen=True, kw_only=True):
    """A valid signature's facts."""

    signer: CertificateSummary
    signed_at: dt.datetime | None
    xml_declaration: bytes


def signer_certificate(pdf: bytes) -> bytes:
    """The certificate of the last signature in a PDF the platform signed itself (not
    validated again: use `validate_signed_pdf` for a document from outside).
    """
    signature = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[-1]
    der: bytes = signature.signer_cert.dump()
    return der


def embedded_xml(pdf: bytes, reader: PdfFileReader | None = None) -> bytes | None:
    """The XML declaration embedded in the PDF, if any: pypdf's first attachment named
    `XML_ATTACHMENT`.

    With the pyHanko `reader` the document was already read with, a flat list of embedded
    files (what the platform writes) is read from it, in pypdf's way; anything else
    (a tree of lists, an unexpected object) is left to pypdf reading the PDF again.
    """
    if reader is not None:
        try:
            found = _flat_attachment(reader)
        except Exception:  # noqa: BLE001 - whatever pyHanko makes of it, pypdf decides
            found = None
        if found is not None:
            return found or None
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    found_all = attachments.get(XML_ATTACHMENT)
    return found_all[0] if found_all else None


def _flat_attachment(reader: PdfFileReader) -> bytes | None:
    """From a flat /EmbeddedFiles /Names array: the content of the first file whose name
    in the list, or else whose /UF (or else /F), is `XML_ATTACHMENT` (b"" when there is
    none); None when the structure is not that simple.
    """
    names = reader.root.get("/Names")
    if not isinstance(names, DictionaryObject):
        return None if names is not None else b""
    files = names.get("/EmbeddedFiles")
    if not isinstance(files, DictionaryObject):
        return None if files is not None else b""
    if "/Kids" in files or not isinstance(files.get("/Names"), ArrayObject):
        return None
    listed = files["/Names"]
    if len(listed) % 2:
        return None
    for index in range(0, len(listed), 2):
        key, spec = listed[index], listed[index + 1]  # the array resolves references
        if not isinstance(key, str) or not isinstance(spec, DictionaryObject):
            return None
        alternative = spec.get("/UF", spec.get("/F"))
        if alternative is not None and not isinstance(alternative, str):
            return None  # a null or a byte string: pypdf's rules for those, not ours
        if XML_ATTACHMENT in (key, alternative):
            data: bytes = spec["/EF"]["/F"].get_object().data
            return data
    return b""


async def validate_signed_pdf(
    pdf: bytes,
    *,
    trust: TrustStore,
    tax_code: str,
    now: dt.datetime,
    expected_xml: bytes | None = None,
) -> SignatureReport:
    """The report of a valid document, or `ProblemError` naming what is wrong with it.

    Whatever a crafted document makes the PDF or CMS parsers raise is `document_tampered`.
    """
    try:
        return await _validate(
            pdf, trust=trust, tax_code=tax_code, now=now, expected_xml=expected_xml
        )
    except ProblemError:
        raise
    except Exception as exc:
        raise ProblemError(ErrorCode.DOCUMENT_TAMPERED, field="document") from exc


def _trusted_through_store(status: PdfSignatureStatus, trust: TrustStore) -> bool:
    """Whether pyHanko validated the signer's path (at `now`, with the store's CRLs) to a
    root of the store through the store's own certificates only.

    pyHanko may also build a path through certificates the signature carries; such a path
    is not one `check_certificate` would find, so it does not count here (and
    `check_certificate` then validates the path itself, as it always did).
    """
    path = status.validation_path
    if not status.trusted or path is None:
        return False
    known = {certificate.dump() for certificate in (*trust.roots, *trust.intermediates)}
    authorities = list(path.iter_certs(include_root=True))[:-1]  # all but the signer's
    return bool(authorities) and all(c.dump() in known for c in authorities)


async def _validate(
    pdf: bytes,
    *,
    trust: TrustStore,
    tax_code: str,
    now: dt.datetime,
    expected_xml: bytes | None = None,
) -> SignatureReport:
    """The report of a valid document, or `ProblemError` naming what is wrong with it."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:
        raise ProblemError(ErrorCode.DOCUMENT_TAMPERED, field="document") from exc
    if not signatures:
        raise ProblemError(ErrorCode.DOCUMENT_UNSIGNED, field="document")
    signature = signatures[-1]
    # The same inputs as `check_certificate`'s path validation (the store, its CRLs, `now`),
    # so that a path pyHanko finds here through the store alone need not be found again.
    context = ValidationContext(
        trust_roots=trust.roots,
        other_certs=trust.intermediates,
        crls=trust.crls,
        moment=now,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        status = await async_validate_pdf_signature(signature, context)
    except SignatureValidationError as exc:
        raise ProblemError(ErrorCode.DOCUMENT_TAMPERED, field="document") from exc
    if not status.intact or not status.valid:
        raise ProblemError(ErrorCode.DOCUMENT_TAMPERED, field="document")
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        raise ProblemError(ErrorCode.DOCUMENT_NOT_COVERED, field="document")
    signer_der = status.signing_cert.dump()
    # Checked at `now`, not at the signing time the signer reports: that time is the
    # signer's own claim (CMS signingTime, /M), and a backdated claim must not revive an
    # expired certificate. Only a timestamp token could vouch for an earlier moment.
    summary = await check_certificate(
        signer_der,
        tax_code=tax_code,
        trust=trust,
        now=now,
        field="document",
        path_checked=_trusted_through_store(status, trust),
    )
    signed_at = status.signer_reported_dt
    declaration = embedded_xml(pdf, reader)
    if declaration is None or (expected_xml is not None and declaration != expected_xml):
        raise ProblemError(ErrorCode.XML_MISMATCH, field="document")
    return SignatureReport(signer=summary, signed_at=signed_at, xml_declaration=declaration)
