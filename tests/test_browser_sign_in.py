"""Sign-in through a real browser: headless Chromium (Debian's) opens the development
identity provider's login page, picks a demo user, types the password and submits; the
provider sends the browser back to the platform's callback with a code, which exchanges
for an ID token that validates against the provider's keys.

Today the test plays the platform's part itself (it builds the PKCE authorization URL and
redeems the code). Once the platform's SSO routes exist, the two places marked "SSO"
change: start at `GET /auth/login?tenant=demo`, and end with the browser's own
`GET /auth/me` answering the signed-in user (the platform redeems the code).
"""

from __future__ import annotations

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


async def sign_in_on_the_login_page(page: Page, email: str, password: str) -> None:
    """What a person does on the development provider's page."""
    await page.wait_for_selector("text=Nhà cung cấp định danh dành cho phát triển")
    await page.select_option("#login_email", email)
    await page.fill("#login_password", password)
    await page.click("#sign-in")


async def test_sign_in_through_chromium(embedded_platform: Settings, page: Page) -> None:
    callback = dev_idp.redirect_uris(embedded_platform)[0]
    async with oauth_client(embedded_platform) as client, httpx.AsyncClient(timeout=10) as http:
        # SSO: `page.goto(<platform>/auth/login?tenant=demo)` instead of these two lines.
        request = AuthorizationRequest(client, embedded_platform)
        await page.goto(request.url)
        assert await page.title() == "Đăng nhập (nhà cung cấp định danh phát triển)"

        await sign_in_on_the_login_page(page, "admin@demo.example", DEV_PASSWORD)
        await page.wait_for_url(f"{callback}?**")

        # SSO: from here, `page.goto(.../auth/me)` and assert the signed-in user's JSON
        # (email admin@demo.example, role admin) instead of redeeming the code here.
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
