"""The framework-free signing core: interrupted PAdES signing, certificate checks, and the
validator, with software keys from the test PKI.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ebhxh.demo import pki
from ebhxh.documents.forms import FormKind, FormRequest, UnitParticulars
from ebhxh.documents.render import render_form
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.signing import pades
from ebhxh.signing.certificates import check_certificate, summarise
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import validate_signed_pdf

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
