"""Sign-in through a real browser: headless Chromium (Debian's) drives the development
identity provider's login page.

The first test is the newcomer's whole path: `ebhxh serve` on the embedded default (which
applies `tenants/demo.toml`, pointing the demo tenant at the development provider), the
platform's `GET /auth/login?tenant=demo`, the provider's form, the platform's callback, and
signed-in API calls with the session cookie the browser now holds. The others look at the
provider alone: a code redeemed for an ID token that validates, and a wrong password.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Page

from ebhxh import dev_idp
from ebhxh.dev_idp.users import DEV_PASSWORD
from ebhxh.settings import Settings
from tests.dev_idp_helpers import (
    AuthorizationRequest,
    oauth_client,
    validate_id_token,
)
from tests.served import Served


async def sign_in_on_the_login_page(page: Page, email: str, password: str) -> None:
    """What a person does on the development provider's page."""
    await page.wait_for_selector("text=Nhà cung cấp định danh dành cho phát triển")
    await page.select_option("#login_email", email)
    await page.fill("#login_password", password)
    await page.click("#sign-in")


async def test_the_embedded_default_signs_in_through_chromium(served: Served, page: Page) -> None:
    await page.goto(f"{served.base}/auth/login?tenant=demo")
    assert await page.title() == "Đăng nhập (nhà cung cấp định danh phát triển)"
    await sign_in_on_the_login_page(page, "hr@demo.example", DEV_PASSWORD)
    await page.wait_for_url(f"{served.base}/auth/me")

    me = json.loads(await page.inner_text("body"))
    assert (me["email"], me["tenant"], me["via"]) == ("hr@demo.example", "demo", "session")
    assert sorted(me["roles"]) == ["hr", "signer"]  # the demo manifest's mapping of ebhxh-hr
    cookies = {c["name"]: c for c in await page.context.cookies(served.base)}
    session = cookies["ebhxh_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    units = await page.goto(f"{served.base}/units")  # a signed-in API call
    assert units is not None and units.status == 200
    assert json.loads(await page.inner_text("body")) == {"units": []}
    signed_out = await page.request.post(f"{served.base}/auth/logout")
    assert signed_out.status == 200
    again = await page.goto(f"{served.base}/units")
    assert again is not None and again.status == 401


async def test_the_provider_alone_gives_a_code_that_redeems_through_chromium(
    embedded_platform: Settings, page: Page
) -> None:
    callback = dev_idp.redirect_uris(embedded_platform)[0]
    async with oauth_client(embedded_platform) as client, httpx.AsyncClient(timeout=10) as http:
        request = AuthorizationRequest(client, embedded_platform)
        await page.goto(request.url)
        assert await page.title() == "Đăng nhập (nhà cung cấp định danh phát triển)"

        await sign_in_on_the_login_page(page, "admin@demo.example", DEV_PASSWORD)
        await page.wait_for_url(f"{callback}?**")

        returned = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
        assert returned["state"] == request.state
        token = await client.fetch_token(
            f"{dev_idp.issuer(embedded_platform)}/token",
            code=returned["code"],
            code_verifier=request.verifier,
        )
        claims = await validate_id_token(http, embedded_platform, token["id_token"], request.nonce)
    assert claims["email"] == "admin@demo.example"
    assert claims["groups"] == ["ebhxh-admins"]


async def test_a_wrong_password_keeps_the_browser_on_the_login_page(
    embedded_platform: Settings, page: Page
) -> None:
    async with oauth_client(embedded_platform) as client:
        request = AuthorizationRequest(client, embedded_platform)
    await page.goto(request.url)
    await sign_in_on_the_login_page(page, "hr@demo.example", "not-the-password")
    await page.wait_for_selector("role=alert")
    assert "Sai người dùng hoặc mật khẩu" in await page.inner_text("role=alert")
    assert page.url.startswith(dev_idp.issuer(embedded_platform))
    assert "code=" not in page.url
