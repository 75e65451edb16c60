"""Per-client rate limits on the routes that check or mint credentials, and on bearer
tokens that prove nobody on any route: past the limit a client gets 429 `rate_limited` with
`Retry-After`; another client is not affected; the count lives in Redis (the machine's, or
the embedded one).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from ebhxh.http.rate_limit import (
    FAILED_CREDENTIALS,
    PAIRING,
    PAIRING_CODES,
    SIGN_IN,
    RateLimit,
    client_key,
)
from ebhxh.sso.sessions import SESSION_COOKIE
from tests.conftest import TenantHandle, in_app
from tests.sweep_data import Client


def _from(
    client: Client,
    address: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST `body` (or GET when there is none) as a client at `address` (the test client's
    own peer is not an address).
    """

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app, client=(address, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ebhxh", headers=headers
        ) as other:
            if body is None:
                return await other.get(path)
            return await other.post(path, json=body)

    response: httpx.Response = in_app(client, send)
    return response


async def _early_in_a_window(limit: RateLimit) -> None:
    """Wait, if need be, for a fresh fixed window: the requests of a test fit in one."""
    left = limit.window_seconds - time.time() % limit.window_seconds
    if left < 10:
        await asyncio.sleep(left + 0.1)


@pytest.mark.sqlite
async def test_pairing_code_guesses_are_limited_per_client(client: Client) -> None:
    guess = {"code": "WXYZ-1234", "name": "PC"}
    await _early_in_a_window(PAIRING)
    answers = [(await client.post("/device/pairing", json=guess)) for _ in range(PAIRING.requests)]
    assert {a.status_code for a in answers} < {400, 401, 404, 410, 422}, [a.text for a in answers]
    limited = await client.post("/device/pairing", json=guess)
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= PAIRING.window_seconds
    assert str(retry_after) in limited.json()["detail"]
    # Another client's count is its own.
    elsewhere = _from(client, "203.0.113.9", "/device/pairing", guess)
    assert elsewhere.status_code != 429, elsewhere.text


async def test_minting_pairing_codes_is_limited_per_client(
    client: Client, tenant: TenantHandle
) -> None:
    await _early_in_a_window(PAIRING_CODES)
    minted = [
        await client.post("/devices/pairing-codes", headers=tenant.headers)
        for _ in range(PAIRING_CODES.requests)
    ]
    assert {m.status_code for m in minted} == {201}
    limited = await client.post("/devices/pairing-codes", headers=tenant.headers)
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.sqlite
async def test_sign_in_is_limited_per_client(client: Client) -> None:
    await _early_in_a_window(SIGN_IN)
    start = "/auth/login?tenant=no-such-company"
    answers = [await client.get(start) for _ in range(SIGN_IN.requests)]
    assert {a.status_code for a in answers} == {404}, [a.text for a in answers]
    limited = await client.get(start)
    assert limited.status_code == 429, limited.text
    assert "rate_limited" in limited.text  # the sign-in pages are HTML, with the code
    assert 1 <= int(limited.headers["Retry-After"]) <= SIGN_IN.window_seconds
    callback = await client.get("/auth/callback?state=x&code=y")
    assert callback.status_code == 429  # the callback shares the sign-in count


async def test_credentials_that_prove_nobody_are_limited_per_client_on_every_route(
    client: Client, tenant: TenantHandle, make_tenant: Any
) -> None:
    other_tenant: TenantHandle = await make_tenant("Công ty Khác")
    address = "198.51.100.7"
    await _early_in_a_window(FAILED_CREDENTIALS)
    changes = client.app.state.runtime.changes
    assert changes is not None and in_app(client, changes.listening_within, 10)
    # The tenant's token, used once from the address: this process now holds it resolved.
    assert _from(client, address, "/units", headers=tenant.headers).status_code == 200

    # One revoked or made-up token retried in a loop is refused at once and counts once.
    looping = {"Authorization": "Bearer ebhxh_" + "r" * 43}
    for _ in range(2 * FAILED_CREDENTIALS.requests):
        assert _from(client, address, "/units", headers=looping).status_code == 401

    # Different ones count, on any route, cookies too: with the looping token, up to the limit.
    paths = (["/units", "/organisation", "/devices"] * 40)[: FAILED_CREDENTIALS.requests - 3]
    answers = [
        _from(client, address, path, headers=_made_up(n)).status_code
        for n, path in enumerate(paths)
    ]
    answers.append(_from(client, address, "/units", headers=_made_up(999)).status_code)
    cookie = {"Cookie": f"{SESSION_COOKIE}=made-up-session"}
    answers.append(_from(client, address, "/units", headers=cookie).status_code)
    assert set(answers) == {401}
    limited = _from(client, address, "/units", headers=_made_up(1000))
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= FAILED_CREDENTIALS.window_seconds

    # Blocked before any database read: a credential this process has not resolved yet
    # waits too; the token it holds still works, and another address is not affected.
    cold = _from(client, address, "/units", headers=other_tenant.headers)
    assert cold.status_code == 429, cold.text
    assert _from(client, address, "/units", headers=tenant.headers).status_code == 200
    elsewhere = _from(client, "203.0.113.9", "/units", headers=_made_up(1001))
    assert elsewhere.status_code == 401, elsewhere.text


def _made_up(n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer ebhxh_made-up-{n:04}" + "x" * 30}


def test_an_ipv6_client_counts_with_its_64() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("::ffff:198.51.100.7") == "::ffff:198.51.100.7"
    assert client_key("unknown") == "unknown"
