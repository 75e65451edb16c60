"""A real browser for the tests: Debian's headless Chromium driven through Playwright.

Playwright is only the driver here: it launches the system's `chromium` (installed by
scripts/system-packages) as its executable and never downloads a browser of its own
(`playwright install` is not part of this project). A missing Chromium fails the test
instead of skipping it: `make test` installs it, so its absence is a broken machine.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

EXECUTABLE = "chromium"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium for the session (started once: about 0.7 s here)."""
    path = shutil.which(EXECUTABLE)
    if path is None:
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(chromium: Browser) -> AsyncIterator[Page]:
    """A page in a fresh browser context (no cookies from another test)."""
    context = await chromium.new_context(locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield await context.new_page()
    finally:
        await context.close()
