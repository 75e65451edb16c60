"""PAdES signing in two halves with pyHanko's interrupted signing; framework-free.

`prepare` digests the document and builds the PAdES signed attributes; the caller hands
`PreparedSignature.to_be_signed` (the DER of those attributes) to a signer type and keeps
the prepared state (it is small and serialisable: `to_bytes`/`from_bytes`). When the
signature value arrives, seconds or hours later and in any process, `finish` checks it
against the certificate and embeds the CMS. Only this module touches pyHanko's signer.
"""

from __future__ import annotations

import io
import math
from typing import IO

import msgspec
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import (
    PdfSignatureMetadata,
    PdfSigner,
    PdfTBSDocument,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "ChuKyDonVi"
DIGEST_ALGORITHM = "sha256"
RESERVE_MARGIN = 256
"""Hex digits reserved beyond the measured container. The dry run builds the same container
as `finish` (its value sized to the key's largest), so this 128 bytes only covers a detail
that could differ between the two calls, such as a signing time that ASN.1 writes longer
from 2050 on."""


class SignatureValueInvalid(ValueError):
    """The returned signature value does not verify against the certificate."""


class PreparedSignature(msgspec.Struct, frozen=True, kw_only=True):
    """Everything `finish` needs, kept between the two halves."""

    prepared_pdf: bytes
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes
    certificate: bytes
    chain: tuple[bytes, ...] = ()

    @property
    def to_be_signed(self) -> bytes:
        """The bytes a signer type signs (SHA-256 with its key): the signed attributes."""
        return self.signed_attributes

    def to_bytes(self) -> bytes:
        return msgspec.msgpack.encode(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedSignature:
        return msgspec.msgpack.decode(data, type=cls)


def _store(
    certificate: bytes, chain: tuple[bytes, ...]
) -> tuple[asn1_x509.Certificate, SimpleCertificateStore]:
    signing_cert = asn1_x509.Certificate.load(certificate)
    others = [asn1_x509.Certificate.load(der) for der in chain]
    store = SimpleCertificateStore.from_certs([signing_cert, *others])  # type: ignore[no-untyped-call]
    return signing_cert, store


def max_signature_size(certificate: asn1_x509.Certificate) -> int:
    """The largest signature value the certificate's key can give (bytes): the modulus
    length for RSA; for ECDSA the DER of two integers as long as the curve order, each with
    a possible leading zero byte.
    """
    public_key = certificate.public_key
    bits: int = public_key.bit_size
    if public_key.algorithm == "rsa":
        return math.ceil(bits / 8)
    integer = math.ceil(bits / 8) + 1 + 2  # a sign byte, tag and length
    return 2 * integer + 3  # the SEQUENCE's tag and (long form) length


async def reserved_size(signer: ExternalSigner) -> int:
    """Hex digits to reserve in /Contents for `signer`'s CMS: a dry run of the very
    container `finish` builds (same certificates, same signed attributes, a placeholder
    value of the key's largest signature), twice its length (it is written in hex), plus
    `RESERVE_MARGIN`.

    Sized to the signer rather than a fixed 16,384 digits (about 5,000 used with a 2048-bit
    key): whoever validates the document reads every reserved digit, so slack costs each
    validation (VSS, the sandbox) time.
    """
    dummy = await signer.async_sign(bytes(32), DIGEST_ALGORITHM, dry_run=True, use_pades=True)
    return 2 * len(dummy.dump()) + RESERVE_MARGIN


async def prepare(
    pdf: bytes, certificate: bytes, chain: tuple[bytes, ...] = ()
) -> PreparedSignature:
    """Digest `pdf` for a PAdES signature by `certificate` (DER) and build what to sign."""
    signing_cert, store = _store(certificate, chain)
    placeholder = ExternalSigner(
        signing_cert=signing_cert,
        cert_registry=store,
        signature_value=max_signature_size(signing_cert),
    )
    signer = PdfSigner(
        PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm=DIGEST_ALGORITHM,
            subfilter=fields.SigSeedSubFilter.PADES,
        ),
        signer=placeholder,
        new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    digest, _tbs, output = await signer.async_digest_doc_for_signing(
        writer, bytes_reserved=await reserved_size(placeholder)
    )
    attributes = await placeholder.signed_attrs(
        digest.document_digest, DIGEST_ALGORITHM, use_pades=True
    )
    return PreparedSignature(
        prepared_pdf=_read_all(output),
        document_digest=digest.document_digest,
        reserved_region_start=digest.reserved_region_start,
        reserved_region_end=digest.reserved_region_end,
        signed_attributes=attributes.dump(),
        certificate=certificate,
        chain=chain,
    )


def _read_all(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    return stream.read()


def verify_signature_value(certificate: bytes, data: bytes, value: bytes) -> None:
    """Raise `SignatureValueInvalid` unless `value` is the certificate key's SHA-256
    signature of `data` (RSA PKCS#1 v1.5 or ECDSA).
    """
    public_key = x509.load_der_x509_certificate(certificate).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(value, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise SignatureValueInvalid("unsupported key type")
    except InvalidSignature as exc:
        raise SignatureValueInvalid("the signature value does not match the certificate") from exc


async def finish(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    """Embed `signature_value` and return the signed PDF.

    The value is verified first, so a wrong key or a corrupted value never produces a
    signed-looking document.
    """
    verify_signature_value(prepared.certificate, prepared.to_be_signed, signature_value)
    signing_cert, store = _store(prepared.certificate, prepared.chain)
    signer = ExternalSigner(
        signing_cert=signing_cert, cert_registry=store, signature_value=signature_value
    )
    attributes = cms.CMSAttributes.load(prepared.signed_attributes)
    signed_data = await signer.async_sign_prescribed_attributes(
        DIGEST_ALGORITHM, signed_attrs=attributes
    )
    output = io.BytesIO(prepared.prepared_pdf)
    await PdfTBSDocument.async_finish_signing(
        output,
        prepared_digest=PreparedByteRangeDigest(
            document_digest=prepared.document_digest,
            reserved_region_start=prepared.reserved_region_start,
            reserved_region_end=prepared.reserved_region_end,
        ),
        signature_cms=signed_data,
        post_sign_instr=None,
    )
    return output.getvalue()
