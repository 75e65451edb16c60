"""Misbehaviour on request, for tests: latency, errors, timeouts, lost responses.

A lost response means the sandbox did the work (the dossier is accepted) and then answered
504 as if the connection had dropped, which is what makes idempotency keys necessary.
"""

from __future__ import annotations

import asyncio
import random

import msgspec


class FaultPlan(msgspec.Struct, kw_only=True):
    """How the sandbox misbehaves; all off by default."""

    latency_ms: int = 0
    error_rate: float = 0.0
    """Share of calls answered 503 before doing anything."""
    timeout_rate: float = 0.0
    """Share of calls that hang past any reasonable client timeout (then 504)."""
    drop_rate: float = 0.0
    """Share of mutating calls whose work is done but whose response is lost (504)."""
    drop_first_response: bool = False
    """Lose the first response of every submission key (the retry then succeeds)."""
    seed: int | None = None


class Faults:
    """The current plan and its random source."""

    def __init__(self) -> None:
        self.plan = FaultPlan()
        self._random = random.Random()  # noqa: S311 - fault injection, not security
        self._dropped: set[str] = set()

    def set(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._random = random.Random(plan.seed)  # noqa: S311
        self._dropped.clear()

    async def before(self) -> int | None:
        """Apply latency; a status to answer with instead of working, or None."""
        if self.plan.latency_ms:
            await asyncio.sleep(self.plan.latency_ms / 1000)
        if self._random.random() < self.plan.timeout_rate:
            await asyncio.sleep(30)
            return 504
        if self._random.random() < self.plan.error_rate:
            return 503
        return None

    def drop_after(self, key: str) -> bool:
        """Whether to lose the response of work already done under `key`."""
        if self.plan.drop_first_response and key not in self._dropped:
            self._dropped.add(key)
            return True
        return self._random.random() < self.plan.drop_rate
