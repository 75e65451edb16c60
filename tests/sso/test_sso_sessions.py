"""Browser sessions end after the idle period and at the absolute limit, whichever comes
first (the settings' defaults: 8 hours idle, 24 hours after sign-in); their rows are
deleted a week after they end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.auth.tokens import hash_token
from ebhxh.clock import ShiftedClock
from ebhxh.db.binding import system_access
from ebhxh.settings import Settings
from ebhxh.sso.sessions import idle_limit
from ebhxh.sso.sweep import KEPT_AFTER_END, sweep_sessions
from ebhxh.sso.tables import SsoSession
from tests.conftest import in_app
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


async def _rows(*values: str) -> list[bool]:
    """For each cookie value, whether its session's row is still stored."""
    with system_access():
        stored = {row["token_hash"] for row in await SsoSession.select(SsoSession.token_hash)}
    return [hash_token(value) in stored for value in values]


async def test_the_sweep_deletes_a_session_row_a_week_after_the_session_ended(
    timed: Client, clock: ShiftedClock, rogue: RogueProvider, sso_settings: Settings
) -> None:
    logged_out = await _session(timed, rogue)
    left_alone = await _session(timed, rogue)
    assert (await timed.post("/auth/logout", headers=as_browser(logged_out))).status_code < 400
    idle = idle_limit(sso_settings)
    signed_in = clock.now()

    def sweep(at: dt.datetime) -> int:
        deleted: int = in_app(timed, sweep_sessions, at, idle)
        return deleted

    def rows() -> list[bool]:
        stored: list[bool] = in_app(timed, _rows, logged_out, left_alone)
        return stored

    # A week after the logout, its row goes; the other session, never used again, ended
    # when left idle (8 h after sign-in), less than a week before: its row stays.
    # (Counts are at least: other tests' sessions share the database.)
    assert sweep(signed_in + KEPT_AFTER_END + HOUR) >= 1
    assert rows() == [False, True]

    sweep(signed_in + KEPT_AFTER_END + 7 * HOUR)
    assert rows() == [False, True]
    assert sweep(signed_in + KEPT_AFTER_END + 9 * HOUR) >= 1
    assert rows() == [False, False]
