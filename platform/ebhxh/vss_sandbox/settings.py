"""The sandbox's settings: where it keeps its data, how it mails, whom it trusts."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class AutoDecision(StrEnum):
    """What the officer does without being asked (for demos)."""

    NONE = "none"
    APPROVE = "approve"
    REJECT = "reject"


class SandboxSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Configuration of one sandbox instance."""

    database_path: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "hotro@vss-sandbox.ebhxh.test"
    trust_store_dir: str | None = None
    auto_decision: AutoDecision = AutoDecision.NONE
    activation_ttl_hours: int = 24
    max_attempts: int = 5
    validators: int = 0
    """Processes that validate signatures (0: on the event loop); see `validators.py`."""
