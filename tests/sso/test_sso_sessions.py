"""Browser sessions end after the idle period and at the absolute limit, whichever comes
first (the settings' defaults: 8 hours idle, 24 hours after sign-in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.clock import ShiftedClock
from ebhxh.settings import Settings
from tests.sso.browser import as_browser, session_value
from tests.sso.conftest import PUBLIC_URL
from tests.sso.rogue_flow import attempt, configure_rogue
from tests.sso.rogue_idp import RogueProvider

Client = AsyncTestClient[Litestar]
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def timed(sso_settings: Settings, clock: ShiftedClock) -> AsyncIterator[Client]:
    app = create_app(sso_settings, configure_logs=False, clock=clock)
    async with AsyncTestClient(app=app, base_url=PUBLIC_URL) as client:
        yield client


async def _session(client: Client, rogue: RogueProvider) -> str:
    rogue.minter = RogueProvider.signed
    answer = await attempt(client, await configure_rogue(client, rogue))
    assert answer.status_code == 302, answer.text
    client.cookies.clear()
    return session_value(answer)


async def _status(client: Client, value: str) -> int:
    return (await client.get("/auth/me", headers=as_browser(value))).status_code


async def test_a_session_used_within_the_idle_period_lives_on_until_it_is_left_idle(
    timed: Client, clock: ShiftedClock, rogue: RogueProvider, sso_settings: Settings
) -> None:
    assert sso_settings.session_idle_minutes == 8 * 60
    value = await _session(timed, rogue)
    clock.advance(7 * HOUR)
    assert await _status(timed, value) == 200
    clock.advance(7 * HOUR)  # 14 h after sign-in, 7 h after last use
    assert await _status(timed, value) == 200

    clock.advance(8 * HOUR + dt.timedelta(minutes=1))

    assert await _status(timed, value) == 401


async def test_a_session_ends_at_the_absolute_limit_however_busy(
    timed: Client, clock: ShiftedClock, rogue: RogueProvider, sso_settings: Settings
) -> None:
    assert sso_settings.session_absolute_hours == 24
    value = await _session(timed, rogue)
    for _ in range(3):
        clock.advance(7 * HOUR)
        assert await _status(timed, value) == 200  # 21 h, used every 7 h

    clock.advance(3 * HOUR + dt.timedelta(minutes=1))

    assert await _status(timed, value) == 401
