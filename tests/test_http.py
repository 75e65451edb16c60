"""HTTP behaviour every route shares: problem details, languages, auth, request ids, docs."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.errors import ErrorCode
from ebhxh.errors.messages import MESSAGES, negotiate
from ebhxh.http.limits import ORGANISATION_TREE
from tests.conftest import TenantHandle

Client = AsyncTestClient[Litestar]


def test_every_error_code_has_a_message_in_both_languages() -> None:
    for code in ErrorCode:
        assert MESSAGES[code].vi.strip() and MESSAGES[code].en.strip(), code
        assert MESSAGES[code].vi != MESSAGES[code].en, code


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "vi"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("en;q=0.2, vi;q=0.8", "vi"),
        ("de", "vi"),
        ("en;q=garbage", "vi"),
    ],
)
def test_language_negotiation(header: str | None, language: str) -> None:
    assert negotiate(header) == language


@pytest.mark.sqlite
async def test_malformed_json_is_a_400_problem(client: Client, tenant: TenantHandle) -> None:
    response = await client.put(
        "/organisation",
        content=b'{"nodes": [',
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "malformed_json"
    assert problem["detail"] == "Nội dung yêu cầu không phải JSON hợp lệ."
    assert problem["type"].endswith("/malformed_json")
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_english_on_request(client: Client, tenant: TenantHandle) -> None:
    response = await client.put(
        "/organisation",
        content=b"",
        headers={**tenant.headers, "content-type": "application/json", "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."
    assert response.headers["content-language"] == "en"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer ebhxh_" + "x" * 43],
)
async def test_requests_without_a_valid_token_are_401(
    client: Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/units", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_unknown_routes_and_methods(client: Client, tenant: TenantHandle) -> None:
    missing = await client.get("/nowhere", headers=tenant.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong_method = await client.delete("/units", headers=tenant.headers)
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
    bad_id = await client.get("/units/not-a-uuid", headers=tenant.headers)
    assert bad_id.status_code in (400, 404)
    assert bad_id.json()["code"] in ("invalid_parameter", "not_found")


async def test_oversized_bodies_are_refused(client: Client, tenant: TenantHandle) -> None:
    response = await client.put(
        "/organisation",
        content=b'{"nodes": [' + b" " * ORGANISATION_TREE + b"]}",
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_an_incoming_request_id_is_echoed(client: Client) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id\n"})
    assert generated.headers["x-request-id"] != "bad id\n"
    assert len(generated.headers["x-request-id"]) == 32


async def test_the_openapi_document_and_docs_page_are_served(client: Client) -> None:
    schema = (await client.get("/docs/openapi.json")).json()
    operation_ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "pushOrganisationTree",
        "declareUnit",
        "listUnits",
        "getUnit",
        "health",
    } <= operation_ids
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    asset = await client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


async def test_viewers_cannot_write(client: Client, tenant: TenantHandle) -> None:
    from ebhxh.tenancy.bootstrap import add_member
    from ebhxh.tenancy.tables import Role
    from tests.conftest import in_app

    _, token = in_app(
        client, add_member, tenant.id, email=f"viewer-{tenant.id}@example.vn", role=Role.VIEWER
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/units", headers=headers)).status_code == 200
    refused = await client.put("/organisation", json={"nodes": []}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
