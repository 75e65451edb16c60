"""A person at a browser, as far as sign-in goes: our app through its test client (cookies
kept), the identity provider through a real HTTP client, its login and consent forms filled
in like a person would.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


def parse_form(html: str) -> tuple[str, dict[str, str]]:
    form = _Form()
    form.feed(html)
    if form.action is None:
        raise AssertionError(f"no form on the provider's page: {html[:300]}")
    return form.action, form.fields


async def through_provider(
    authorize_url: str, login: str, redirect_uri: str, *, cancel: bool = False
) -> str:
    """Follow the provider from its authorization URL through its login and consent forms
    to the redirect back to us; returns that callback URL. With `cancel` the person clicks
    the provider's cancel link on its first page instead.
    """
    async with httpx.AsyncClient(timeout=15) as idp:
        url, method, data = authorize_url, "GET", None
        for _ in range(20):
            response = await idp.request(method, url, data=data)
            if response.is_redirect:
                target = urljoin(url, response.headers["location"])
                if target.startswith(redirect_uri):
                    return target
                url, method, data = target, "GET", None
                continue
            assert response.status_code == 200, response.text[:500]
            if cancel:
                link = re.search(r'href="([^"]*/abort)"', response.text)
                assert link, response.text[:500]
                url, method, data = urljoin(url, link.group(1)), "GET", None
                continue
            action, fields = parse_form(response.text)
            if fields.get("prompt") == "login":
                fields.update(login=login, password="anything")
            url, method, data = urljoin(url, action), "POST", fields
        raise AssertionError("the provider never redirected back")


async def sign_in(
    client: AsyncTestClient[Litestar],
    start: str,
    login: str,
    redirect_uri: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """From our `start` URL (/auth/login?...) to our callback's answer."""
    started = await client.get(start, follow_redirects=False, headers=headers)
    assert started.status_code == 302, started.text
    callback = await through_provider(started.headers["location"], login, redirect_uri)
    parts = urlsplit(callback)
    return await client.get(f"{parts.path}?{parts.query}", follow_redirects=False, headers=headers)


def error_code(page: str) -> str:
    """The stable error code shown on one of our HTML error pages."""
    match = re.search(r'<code id="code">([a-z_]+)</code>', page)
    assert match, page[:500]
    return match.group(1)


def session_value(answer: httpx.Response) -> str:
    """The session cookie our callback set."""
    for header in answer.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == "ebhxh_session":
            return rest.split(";", 1)[0]
    raise AssertionError(f"no session cookie in {answer.headers}")


def as_browser(value: str) -> dict[str, str]:
    """Request headers of a browser holding session cookie `value` (and nothing else)."""
    return {"Cookie": f"ebhxh_session={value}"}
