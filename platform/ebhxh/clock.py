"""The one source of time: inject a `Clock` so tests can cross deadlines without waiting."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, timezone-aware, in UTC."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that only moves when told to (for tests and demos)."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


class ShiftedClock:
    """The real time plus an offset that tests move forward (time keeps flowing)."""

    def __init__(self) -> None:
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset

    def advance(self, delta: dt.timedelta) -> None:
        self._offset += delta


VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def today_in_vietnam(clock: Clock) -> dt.date:
    """The calendar day in Vietnam (UTC+7, no daylight saving): rules take effect by it."""
    return clock.now().astimezone(VIETNAM).date()
