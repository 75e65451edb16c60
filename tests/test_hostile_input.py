"""Hostile input at the HTTP edge: bodies over a route's limit are refused early (by
Content-Length, or while streaming, without reading the rest), and an XML declaration
that declares entities (a real "billion laughs", an external entity) is refused by the VSS
sandbox without expanding it, within bounded time and memory.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.demo import pki
from ebhxh.documents.render import XML_ATTACHMENT, new_document
from ebhxh.gateway.contract import DossierKind, Submission
from ebhxh.http.limits import JSON_BODY, ORGANISATION_TREE, SUBMITTED_DOSSIER
from ebhxh.signing import pades
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.service import Refusal, _refuse_unlike_declaration
from ebhxh.vss_sandbox.settings import SandboxSettings
from tests.conftest import TenantHandle, in_app
from tests.sweep_data import Client

TAX_CODE = "0100109106"
UNIT_NAME = "Công ty Cổ phần Sông Hồng"
CHUNK = 8 * 1024


def billion_laughs() -> bytes:
    """The classic: 10 levels of 10 references, 10^9 "lol"s (3 GB) once expanded."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE HoSo [' + "".join(levels) + "]>\n"
        "<HoSo><ThongTinDonVi><MA_SO_THUE>" + TAX_CODE + "</MA_SO_THUE>"
        "<TEN_DVI>&lol9;</TEN_DVI></ThongTinDonVi></HoSo>"
    ).encode()


EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE HoSo [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<HoSo><ThongTinDonVi><TEN_DVI>&x;</TEN_DVI></ThongTinDonVi></HoSo>"
)


def _submission(document: bytes = b"") -> Submission:
    return Submission(
        kind=DossierKind.REGISTER_UNIT_CODE,
        tax_code=TAX_CODE,
        unit_name=UNIT_NAME,
        email="a@b.vn",
        provider="eBHXH",
        document=document,
    )


@pytest.mark.parametrize("document", [billion_laughs(), EXTERNAL_ENTITY], ids=["bomb", "xxe"])
def test_entity_declarations_are_refused_before_expansion(document: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(Refusal) as refused:
            _refuse_unlike_declaration(document, _submission())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "declaration_forbidden_xml"
    assert time.perf_counter() - started < 0.5
    assert peak < 2 * 1024 * 1024, peak  # expanded, it would be 3 GB


async def _signed_pdf_with(declaration: bytes, folder: Path) -> tuple[bytes, Path]:
    """A PDF embedding `declaration`, PAdES-signed by a company certificate of a new CA."""
    ca, key = pki.LocalCA(), pki.new_key()
    certificate = ca.issue(key.public_key(), pki.name(UNIT_NAME.upper(), f"MST:{TAX_CODE}"))
    pdf = new_document("Tờ khai", dt.date.today())
    pdf.add_page()
    pdf.embed_file(basename=XML_ATTACHMENT, bytes=declaration, compress=True)
    prepared = await pades.prepare(bytes(pdf.output()), certificate)
    value = key.sign(prepared.to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    return await pades.finish(prepared, value), ca.write_trust_store(folder / "trust")


@pytest.fixture
async def bomb_and_sandbox(
    tmp_path: Path,
) -> AsyncIterator[tuple[bytes, AsyncTestClient[Litestar]]]:
    signed, trust = await _signed_pdf_with(billion_laughs(), tmp_path)
    settings = SandboxSettings(
        database_path=str(tmp_path / "vss.sqlite3"), trust_store_dir=str(trust)
    )
    async with AsyncTestClient(app=create_sandbox_app(settings)) as sandbox:
        yield signed, sandbox


async def test_a_signed_dossier_carrying_a_billion_laughs_is_refused_by_vss(
    bomb_and_sandbox: tuple[bytes, AsyncTestClient[Litestar]],
) -> None:
    signed, sandbox = bomb_and_sandbox
    body = {
        "kind": "register-unit-code",
        "tax_code": TAX_CODE,
        "unit_name": UNIT_NAME,
        "email": "a@b.vn",
        "provider": "eBHXH",
        "document": base64.b64encode(signed).decode(),
    }
    started = time.perf_counter()
    answer = await sandbox.post("/dossiers", json=body, headers={"Idempotency-Key": "bomb-1"})
    assert time.perf_counter() - started < 10
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "declaration_forbidden_xml"


def _send(
    client: Client, method: str, path: str, headers: dict[str, str], body: object
) -> tuple[httpx.Response, int]:
    """Send `body` (bytes, or chunks streamed without Content-Length) through a transport
    that hands the app one chunk per read; return the answer and how many chunks it read.
    """
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for chunk in body:  # type: ignore[attr-defined]
            pulled += 1
            yield chunk

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ebhxh") as http:
            content = body if isinstance(body, bytes) else chunks()
            return await http.request(method, path, headers=headers, content=content)

    response: httpx.Response = in_app(client, send)
    return response, pulled


async def test_a_body_over_the_route_limit_is_refused_by_its_length(
    client: Client, tenant: TenantHandle
) -> None:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    too_big = b'{"name": "' + b"x" * JSON_BODY + b'"}'
    answer, _ = _send(client, "POST", "/units", headers, too_big)
    assert (answer.status_code, answer.json()["code"]) == (413, "payload_too_large")
    # The organisation tree may be larger: the same size is read and judged as JSON.
    tree, _ = _send(
        client, "PUT", "/organisation", headers, b'{"nodes": [' + b" " * JSON_BODY + b"]}"
    )
    assert tree.status_code == 200, tree.text
    tree_too_big = b'{"nodes": [' + b" " * ORGANISATION_TREE + b"]}"
    refused, _ = _send(client, "PUT", "/organisation", headers, tree_too_big)
    assert refused.status_code == 413


async def test_a_streamed_body_is_cut_off_at_the_limit_without_reading_the_rest(
    client: Client, tenant: TenantHandle
) -> None:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    endless = [b"x" * CHUNK] * 1000  # 8 MB offered, no Content-Length
    answer, pulled = _send(client, "POST", "/units", headers, endless)
    assert (answer.status_code, answer.json()["code"]) == (413, "payload_too_large")
    assert pulled <= JSON_BODY // CHUNK + 2, pulled


async def test_the_sandbox_takes_a_dossier_sized_body_only_where_dossiers_go(
    tmp_path: Path,
) -> None:
    settings = SandboxSettings(database_path=str(tmp_path / "vss.sqlite3"))
    big = {"code": "1" * (JSON_BODY + 1)}
    async with AsyncTestClient(app=create_sandbox_app(settings)) as sandbox:
        small_route = await sandbox.post("/dossiers/x/activation", json=big)
        assert small_route.status_code == 413
        document = {"kind": "register-unit-code", "document": "A" * (4 * 1024 * 1024)}
        dossier_route = await sandbox.post(
            "/dossiers", json=document, headers={"Idempotency-Key": "k"}
        )
        assert dossier_route.status_code == 400  # read, then refused as incomplete
        oversized = {"document": "A" * (SUBMITTED_DOSSIER + 1)}
        refused = await sandbox.post("/dossiers", json=oversized, headers={"Idempotency-Key": "k"})
        assert refused.status_code == 413


@pytest.mark.parametrize(
    "query",
    [
        "status=%00",
        "name=Nguy%E1%BB%85n%00",
        "position=" + "a" * 501,
        "cursor=a%09b",
        "status=active%0A",
    ],
)
async def test_a_free_text_query_with_a_control_character_or_too_long_is_a_400(
    client: Client, tenant: TenantHandle, query: str
) -> None:
    units = (await client.get("/units", headers=tenant.headers)).json()["units"]
    unit = units[0]["id"] if units else "00000000-0000-0000-0000-000000000000"
    answer = await client.get(f"/units/{unit}/employees?{query}", headers=tenant.headers)

    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == query.split("=", maxsplit=1)[0]
