"""Signature setup and signing through the API, with the HSM signer type on SoftHSM2.

The signed TK3-TS is checked by our validator and by an independent one: poppler's
`pdfsig`, given the test CA in an NSS database.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.signing.certificates import summarise
from ebhxh.signing.tables import SignatureSetup
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import validate_signed_pdf
from tests.conftest import (
    HANOI_TREE,
    HQ_DECLARATION,
    Pki,
    TenantHandle,
    in_app,
    set_up_hsm_signature,
)

Client = AsyncTestClient[Litestar]
PARTICULARS = {
    "registered_address": "Số 1 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
    "contact_address": "Tầng 5, 18 Lý Thường Kiệt, Hà Nội",
    "phone": "024 3825 1234",
    "email": "nhansu@songhong.vn",
    "unit_type": "Công ty cổ phần",
    "licence_number": "0100109106",
    "licence_date": "2010-05-04",
    "licence_issuer": "Sở Kế hoạch và Đầu tư Hà Nội",
    "contribution_frequency": "Hằng tháng",
}


def _access(test_pki: Pki, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "signer_type": "hsm",
        "settings": {"token_label": test_pki.TOKEN},
        "secrets": {"pin": test_pki.PIN},
    }
    body.update(overrides)
    return body


async def _unit(client: Client, tenant: TenantHandle) -> str:
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    declared = await client.post(
        "/units", json={**HQ_DECLARATION, "particulars": PARTICULARS}, headers=tenant.headers
    )
    assert declared.status_code == 201, declared.text
    return str(declared.json()["id"])


async def test_signer_types_list_the_hsm_plugin(client: Client, tenant: TenantHandle) -> None:
    listed = (await client.get("/signer-types", headers=tenant.headers)).json()
    assert {"name": "hsm", "label": "HSM của doanh nghiệp (PKCS#11)", "secret_names": ["pin"]} in (
        listed["signer_types"]
    )


async def test_discovery_explains_which_certificates_the_unit_may_use(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await _unit(client, tenant)
    found = await client.post(
        f"/units/{unit_id}/signature/certificates", json=_access(test_pki), headers=tenant.headers
    )
    assert found.status_code == 200, found.text
    by_sha = {c["sha256"]: c for c in found.json()["certificates"]}
    organisation = by_sha[summarise(test_pki.organisation).sha256]
    personal = by_sha[summarise(test_pki.personal).sha256]
    assert organisation["usable"] is True
    assert (personal["usable"], personal["problem_code"]) == (False, "cert_personal")
    assert "chứng thư số cá nhân" in personal["problem"]


@pytest.mark.sqlite
async def test_a_tk3_ts_is_signed_in_the_hsm_and_validates_everywhere(
    client: Client, tenant: TenantHandle, test_pki: Pki, tmp_path: Path
) -> None:
    unit_id = await _unit(client, tenant)
    setup = await set_up_hsm_signature(client, tenant, test_pki, unit_id)
    assert setup.status_code == 200, setup.text
    assert setup.json()["secrets_set"] == ["pin"]
    assert test_pki.PIN not in setup.text

    signed = await client.post(
        f"/units/{unit_id}/signing-requests", json={"form": "tk3-ts"}, headers=tenant.headers
    )
    assert signed.status_code == 201, signed.text
    request = signed.json()
    assert (request["state"], request["failure_code"]) == ("signed", None)
    assert (await client.get(f"/signing-requests/{request['id']}", headers=tenant.headers)).json()[
        "state"
    ] == "signed"
    document = await client.get(
        f"/signing-requests/{request['id']}/document", headers=tenant.headers
    )
    assert document.headers["content-type"] == "application/pdf"
    pdf = document.content

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert unicodedata.is_normalized("NFC", text)
    flat = " ".join(text.split())
    for expected in (
        "Công ty Cổ phần Sông Hồng",
        PARTICULARS["registered_address"],
        "Kính gửi: Bảo hiểm xã hội thành phố Hà Nội",
        "CÔNG TY CỔ PHẦN SÔNG HỒNG",
    ):
        assert expected in flat

    report = await validate_signed_pdf(
        pdf,
        trust=TrustStore.from_folder(test_pki.trust_dir),
        tax_code=test_pki.TAX_CODE,
        now=__import__("datetime").datetime.now(__import__("datetime").UTC),
    )
    assert report.signer.sha256 == summarise(test_pki.organisation).sha256
    assert b"<TEN_DVI>" in report.xml_declaration
    _pdfsig_says_valid(pdf, test_pki, tmp_path)


def _pdfsig_says_valid(pdf: bytes, test_pki: Pki, folder: Path) -> None:
    assert shutil.which("pdfsig") and shutil.which("certutil"), "poppler-utils/libnss3-tools"
    nss = folder / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "ebhxh-test-ca",
            "-t",
            "CT,C,C",
            "-i",
            str(test_pki.trust_dir / "ca.pem"),
        ],
        check=True,
    )
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Signature is Valid." in result.stdout, result.stdout + result.stderr
    assert "Certificate is Trusted." in result.stdout, result.stdout


async def test_a_wrong_pin_is_refused_at_setup(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await _unit(client, tenant)
    wrong = await client.put(
        f"/units/{unit_id}/signature",
        json={
            **_access(test_pki, secrets={"pin": "000000"}),
            "certificate_sha256": summarise(test_pki.organisation).sha256,
        },
        headers=tenant.headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "hsm_pin_incorrect")
    missing = await client.get(f"/units/{unit_id}/signature", headers=tenant.headers)
    assert missing.status_code == 409


async def test_a_pin_changed_after_setup_fails_the_signing_and_leaves_nothing_signed(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await _unit(client, tenant)
    assert (await set_up_hsm_signature(client, tenant, test_pki, unit_id)).status_code == 200

    async def store_stale_pin() -> None:  # as if the token's PIN changed since the setup
        stale = client.app.state.signing.secrets.encrypt(json.dumps({"pin": "000000"}).encode())
        await (
            TenantScope(tenant.id)
            .update(SignatureSetup, {SignatureSetup.secrets_ciphertext: stale})
            .where(SignatureSetup.unit == uuid.UUID(unit_id))
        )

    in_app(client, store_stale_pin)
    refused = await client.post(
        f"/units/{unit_id}/signing-requests", json={"form": "tk3-ts"}, headers=tenant.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "hsm_pin_incorrect")
    assert refused.json()["field"] == "signer"
    # Set the PIN again: a new request signs; nothing half-signed was left behind.
    assert (await set_up_hsm_signature(client, tenant, test_pki, unit_id)).status_code == 200
    again = await client.post(
        f"/units/{unit_id}/signing-requests", json={"form": "tk3-ts"}, headers=tenant.headers
    )
    assert again.json()["state"] == "signed"


async def test_a_missing_token_is_named(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await _unit(client, tenant)
    missing = await client.post(
        f"/units/{unit_id}/signature/certificates",
        json=_access(test_pki, settings={"token_label": "no-such-token"}),
        headers=tenant.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "hsm_token_missing"
    assert "no-such-token" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"signer_type": "quill"}, "signer_type_unknown"),
        ({"certificate_sha256": "ab" * 32}, "cert_not_offered"),
        ({"certificate_sha256": "personal"}, "cert_personal"),
        ({"secrets": {"pin": "246810", "password": "x"}}, "signer_settings"),
        ({"certificate_sha256": "zz"}, "invalid_value"),
    ],
)
async def test_bad_setups_are_refused(
    client: Client, tenant: TenantHandle, test_pki: Pki, body: dict[str, Any], code: str
) -> None:
    unit_id = await _unit(client, tenant)
    request = {**_access(test_pki), "certificate_sha256": summarise(test_pki.organisation).sha256}
    request.update(body)
    if request["certificate_sha256"] == "personal":
        request["certificate_sha256"] = summarise(test_pki.personal).sha256
    response = await client.put(f"/units/{unit_id}/signature", json=request, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    missing = await client.get(f"/units/{unit_id}/signature", headers=tenant.headers)
    assert (missing.status_code, missing.json()["code"]) == (409, "signature_setup_missing")


async def test_signing_without_a_setup_is_a_409(client: Client, tenant: TenantHandle) -> None:
    unit_id = await _unit(client, tenant)
    response = await client.post(
        f"/units/{unit_id}/signing-requests", json={"form": "tk3-ts"}, headers=tenant.headers
    )
    assert (response.status_code, response.json()["code"]) == (409, "signature_setup_missing")


async def test_the_pin_is_encrypted_at_rest(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    unit_id = await _unit(client, tenant)
    await set_up_hsm_signature(client, tenant, test_pki, unit_id)

    async def stored() -> bytes:
        scope = TenantScope(tenant.id)
        row = await scope.select(SignatureSetup, SignatureSetup.secrets_ciphertext).first()
        return bytes(row["secrets_ciphertext"])

    ciphertext = in_app(client, stored)
    assert test_pki.PIN.encode() not in ciphertext
    assert ciphertext.startswith(b"gAAAAA")  # a Fernet token


async def test_unsigned_forms_render_for_preview(client: Client, tenant: TenantHandle) -> None:
    unit_id = await _unit(client, tenant)
    for form in ("tk3-ts", "01-dk-gd", "change-registration", "stop-service"):
        response = await client.get(f"/units/{unit_id}/forms/{form}", headers=tenant.headers)
        assert response.status_code == 200, (form, response.text)
        assert response.content.startswith(b"%PDF-")
    unknown = await client.get(f"/units/{unit_id}/forms/tk9", headers=tenant.headers)
    assert unknown.status_code == 400
