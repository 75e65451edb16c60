"""The framework-free signing core: interrupted PAdES signing, certificate checks, and the
validator, with software keys from the test PKI.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.reader import PdfFileReader

from ebhxh.demo import pki
from ebhxh.documents.forms import FormKind, FormRequest, UnitParticulars
from ebhxh.documents.render import render_form
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing import pades
from ebhxh.signing.certificates import check_certificate, summarise
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import _flat_attachment, embedded_xml, validate_signed_pdf

TAX_CODE = "0100109106"
NOW = dt.datetime.now(dt.UTC)


class World:
    def __init__(self, folder: Path) -> None:
        self.ca = pki.LocalCA()
        self.stranger = pki.LocalCA("Untrusted CA")
        self.key = pki.new_key()
        public = self.key.public_key()
        org = pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{TAX_CODE}")
        self.good = self.ca.issue(public, org)
        self.expired = self.ca.issue(
            public,
            org,
            not_before=NOW - dt.timedelta(days=400),
            not_after=NOW - dt.timedelta(days=1),
        )
        self.future = self.ca.issue(public, org, not_before=NOW + dt.timedelta(days=2))
        self.untrusted = self.stranger.issue(public, org)
        self.encryption_only = self.ca.issue(public, org, usage=pki.ENCRYPTION_USAGE)
        self.other_company = self.ca.issue(public, pki.name("CÔNG TY KHÁC", "MST:0101243150"))
        self.personal = self.ca.issue(public, pki.name("Nguyễn Văn An", "CCCD:001085012345"))
        self.revoked = self.ca.issue(public, org)
        self.ca.revoke(self.revoked)
        self.trust = TrustStore.from_folder(self.ca.write_trust_store(folder))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("core-pki"))


def _sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _form() -> tuple[bytes, bytes]:
    return render_form(
        FormRequest(
            kind=FormKind.TK3_TS,
            unit=UnitParticulars(name="Công ty Cổ phần Sông Hồng", tax_code=TAX_CODE),
            drawn_up_on=NOW.date(),
        )
    )


async def test_interrupted_signing_finishes_from_persisted_state(world: World) -> None:
    pdf, declaration = _form()
    prepared = await pades.prepare(pdf, world.good)
    stored = prepared.to_bytes()  # what the database keeps between the halves
    value = _sign(world.key, pades.PreparedSignature.from_bytes(stored).to_be_signed)
    signed = await pades.finish(pades.PreparedSignature.from_bytes(stored), value)
    report = await validate_signed_pdf(
        signed, trust=world.trust, tax_code=TAX_CODE, now=NOW, expected_xml=declaration
    )
    assert report.signer.sha256 == summarise(world.good).sha256
    assert report.xml_declaration == declaration


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: rsa.generate_private_key(65537, 2048), id="rsa-2048"),
        pytest.param(lambda: rsa.generate_private_key(65537, 4096), id="rsa-4096"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP256R1()), id="ecdsa-p256"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP521R1()), id="ecdsa-p521"),
    ],
)
async def test_the_reserved_room_fits_the_signers_key(world: World, key: object) -> None:
    """Room for the CMS is measured for each signer (a 4096-bit key, an ECDSA signature of
    any length) and little more: every reserved hex digit is parsed at each validation.
    """
    private = key()  # type: ignore[operator]
    certificate = world.ca.issue(
        private.public_key(), pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{TAX_CODE}")
    )
    pdf, declaration = _form()
    for _ in range(3):  # ECDSA values vary in length: sign a few times
        prepared = await pades.prepare(pdf, certificate)
        if isinstance(private, rsa.RSAPrivateKey):
            value = private.sign(prepared.to_be_signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            value = private.sign(prepared.to_be_signed, ec.ECDSA(hashes.SHA256()))
        signed = await pades.finish(prepared, value)
        await validate_signed_pdf(
            signed, trust=world.trust, tax_code=TAX_CODE, now=NOW, expected_xml=declaration
        )
        contents = re.search(rb"/Contents <([0-9A-Fa-f]*)>", signed).group(1)  # type: ignore[union-attr]
        used = len(contents.rstrip(b"0"))
        assert len(contents) - used <= pades.RESERVE_MARGIN + 2 * 140  # the key's largest value


async def test_a_value_from_another_key_is_refused(world: World) -> None:
    pdf, _ = _form()
    prepared = await pades.prepare(pdf, world.good)
    with pytest.raises(pades.SignatureValueInvalid):
        await pades.finish(prepared, _sign(pki.new_key(), prepared.to_be_signed))
    with pytest.raises(pades.SignatureValueInvalid):
        await pades.finish(prepared, b"\x00" * 256)


async def _signed(world: World) -> tuple[bytes, bytes]:
    pdf, declaration = _form()
    prepared = await pades.prepare(pdf, world.good)
    return await pades.finish(prepared, _sign(world.key, prepared.to_be_signed)), declaration


async def test_the_declaration_is_read_from_the_validated_reader_as_pypdf_reads_it(
    world: World,
) -> None:
    """The signed document is read once (pyHanko); its embedded XML comes from that reading,
    the same bytes pypdf finds reading it again.
    """
    signed, declaration = await _signed(world)
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    assert _flat_attachment(reader) == declaration  # read from pyHanko's reading
    assert embedded_xml(signed, reader) == embedded_xml(signed) == declaration


@pytest.mark.parametrize("where", ["page", "after-signature", "trailer"])
async def test_tampered_bytes_are_detected(world: World, where: str) -> None:
    signed, _ = await _signed(world)
    _, length, after, _ = map(
        int, re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", signed).groups()
    )  # type: ignore[union-attr]
    position = {"page": length // 2, "after-signature": after + 5, "trailer": len(signed) - 8}[
        where
    ]
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(tampered, trust=world.trust, tax_code=TAX_CODE, now=NOW)
    assert raised.value.code in (ErrorCode.DOCUMENT_TAMPERED, ErrorCode.DOCUMENT_NOT_COVERED)


async def test_appended_content_is_not_covered(world: World) -> None:
    signed, _ = await _signed(world)
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(
            signed + b"\n% appended after signing\n",
            trust=world.trust,
            tax_code=TAX_CODE,
            now=NOW,
        )
    assert raised.value.code is ErrorCode.DOCUMENT_NOT_COVERED


async def test_an_unexpected_xml_declaration_is_refused(world: World) -> None:
    signed, declaration = await _signed(world)
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(
            signed,
            trust=world.trust,
            tax_code=TAX_CODE,
            now=NOW,
            expected_xml=declaration.replace(b"0100109106", b"0101243150"),
        )
    assert raised.value.code is ErrorCode.XML_MISMATCH


async def test_an_unsigned_document_is_refused(world: World) -> None:
    pdf, _ = _form()
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(pdf, trust=world.trust, tax_code=TAX_CODE, now=NOW)
    assert raised.value.code is ErrorCode.DOCUMENT_UNSIGNED


async def test_a_good_certificate_passes(world: World) -> None:
    summary = await check_certificate(world.good, tax_code=TAX_CODE, trust=world.trust, now=NOW)
    assert summary.tax_codes == (TAX_CODE,)
    assert not summary.personal


@pytest.mark.parametrize(
    ("which", "code"),
    [
        ("expired", ErrorCode.CERT_EXPIRED),
        ("future", ErrorCode.CERT_NOT_YET_VALID),
        ("untrusted", ErrorCode.CERT_UNTRUSTED),
        ("encryption_only", ErrorCode.CERT_KEY_USAGE),
        ("other_company", ErrorCode.CERT_TAX_CODE_MISMATCH),
        ("personal", ErrorCode.CERT_PERSONAL),
        ("revoked", ErrorCode.CERT_REVOKED),
    ],
)
async def test_each_bad_certificate_has_its_own_code(
    world: World, which: str, code: ErrorCode
) -> None:
    with pytest.raises(ProblemError) as raised:
        await check_certificate(
            getattr(world, which), tax_code=TAX_CODE, trust=world.trust, now=NOW
        )
    assert raised.value.code is code


@pytest.mark.parametrize(
    ("which", "code"),
    [
        ("untrusted", ErrorCode.CERT_UNTRUSTED),
        ("revoked", ErrorCode.CERT_REVOKED),
        ("expired", ErrorCode.CERT_EXPIRED),
        ("future", ErrorCode.CERT_NOT_YET_VALID),
        ("other_company", ErrorCode.CERT_TAX_CODE_MISMATCH),
    ],
)
async def test_a_document_signed_with_a_bad_certificate_is_refused_for_it(
    world: World, which: str, code: ErrorCode
) -> None:
    """The signature itself is sound (same key); the signer is not one to accept."""
    pdf, _ = _form()
    prepared = await pades.prepare(pdf, getattr(world, which))
    signed = await pades.finish(prepared, _sign(world.key, prepared.to_be_signed))
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(signed, trust=world.trust, tax_code=TAX_CODE, now=NOW)
    assert raised.value.code is code


async def test_nothing_is_trusted_without_a_trust_store(world: World) -> None:
    with pytest.raises(ProblemError) as raised:
        await check_certificate(world.good, tax_code=TAX_CODE, trust=TrustStore(), now=NOW)
    assert raised.value.code is ErrorCode.CERT_UNTRUSTED


@pytest.mark.parametrize(
    ("uid", "found"),
    [
        ("MST:0100109106", "0100109106"),
        ("MST: 0100109106", "0100109106"),
        ("mst-0100109106", "0100109106"),
        ("TIN:0100109106", "0100109106"),
        ("MST:0100109106-001", "0100109106001"),
    ],
)
def test_tax_code_variants_in_the_subject(world: World, uid: str, found: str) -> None:
    der = world.ca.issue(world.key.public_key(), pki.name("CÔNG TY", uid))
    assert summarise(der).tax_codes == (found,)


def test_a_tax_code_outside_the_identifier_attribute_does_not_count(world: World) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    mentions = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Nguyen Van A (MST: 0100109106)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "MST 0100109106"),
        ]
    )
    assert summarise(world.ca.issue(world.key.public_key(), mentions)).tax_codes == ()
    eleven = world.ca.issue(world.key.public_key(), pki.name("CÔNG TY", "MST:01001091069"))
    assert summarise(eleven).tax_codes == ()


async def test_a_personal_certificate_is_refused_even_if_it_claims_a_tax_code(
    world: World,
) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    both = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Nguyen Van A"),
            x509.NameAttribute(NameOID.USER_ID, "CCCD:001085012345"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"MST:{TAX_CODE}"),
        ]
    )
    der = world.ca.issue(world.key.public_key(), both)
    with pytest.raises(ProblemError) as raised:
        await check_certificate(der, tax_code=TAX_CODE, trust=world.trust, now=NOW)
    assert raised.value.code is ErrorCode.CERT_PERSONAL


async def test_a_tls_server_certificate_is_not_for_signing(world: World) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes as h
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID

    certificate = (
        x509.CertificateBuilder()
        .subject_name(pki.name("CÔNG TY", f"MST:{TAX_CODE}"))
        .issuer_name(world.ca.name)
        .public_key(world.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(pki.SIGNING_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(world.ca.key, h.SHA256())
    )
    der = certificate.public_bytes(Encoding.DER)
    with pytest.raises(ProblemError) as raised:
        await check_certificate(der, tax_code=TAX_CODE, trust=world.trust, now=NOW)
    assert raised.value.code is ErrorCode.CERT_KEY_USAGE


async def test_a_crl_in_the_store_revokes_even_without_a_distribution_point(
    tmp_path: Path,
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes as h
    from cryptography.hazmat.primitives.serialization import Encoding

    ca, key = pki.LocalCA(), pki.new_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(pki.name("CÔNG TY", f"MST:{TAX_CODE}"))
        .issuer_name(ca.name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(pki.SIGNING_USAGE, critical=True)
        .sign(ca.key, h.SHA256())
    ).public_bytes(Encoding.DER)
    ca.revoke(certificate)
    trust = TrustStore.from_folder(ca.write_trust_store(tmp_path))
    with pytest.raises(ProblemError) as raised:
        await check_certificate(certificate, tax_code=TAX_CODE, trust=trust, now=NOW)
    assert raised.value.code is ErrorCode.CERT_REVOKED


async def test_an_expired_certificate_cannot_hide_behind_a_backdated_signing_time(
    world: World,
) -> None:
    pdf, _ = _form()
    prepared = await pades.prepare(pdf, world.good)
    signed = await pades.finish(prepared, _sign(world.key, prepared.to_be_signed))
    later = world.ca.certificate.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(signed, trust=world.trust, tax_code=TAX_CODE, now=later)
    assert raised.value.code is ErrorCode.CERT_EXPIRED


async def test_a_damaged_date_is_tampering_not_a_crash(world: World) -> None:
    signed, _ = await _signed(world)
    broken = signed.replace(b"/M (D\\072", b"/M (X\\072", 1)
    assert broken != signed
    with pytest.raises(ProblemError) as raised:
        await validate_signed_pdf(broken, trust=world.trust, tax_code=TAX_CODE, now=NOW)
    assert raised.value.code in (ErrorCode.DOCUMENT_TAMPERED, ErrorCode.DOCUMENT_NOT_COVERED)
