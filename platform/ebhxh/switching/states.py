"""The switch's own states: detected -> stop requested -> stop confirmed | stop refused.

A refused stop can be requested again (the correction: another certificate, or the portal
steps done properly); a confirmed stop is final, and the service registration that waited
for it continues by itself.
"""

from __future__ import annotations

from enum import StrEnum


class SwitchState(StrEnum):
    """Where a switch away from a competing provider is."""

    DETECTED = "detected"
    """VSS reports the unit registered with another provider; nothing asked of it yet."""
    STOP_REQUESTED = "stop_requested"
    """The stop dossier is with VSS, or the user says they stopped it in the old portal."""
    STOP_CONFIRMED = "stop_confirmed"
    """VSS no longer lists the old provider for the unit."""
    STOP_REFUSED = "stop_refused"
    """VSS refused the stop (the reason is kept); it can be requested again."""


W = SwitchState

SWITCH_TRANSITIONS: dict[SwitchState, frozenset[SwitchState]] = {
    # The old provider may disappear at VSS before anything is asked (stopped elsewhere).
    W.DETECTED: frozenset({W.STOP_REQUESTED, W.STOP_CONFIRMED}),
    W.STOP_REQUESTED: frozenset({W.STOP_CONFIRMED, W.STOP_REFUSED}),
    W.STOP_REFUSED: frozenset({W.STOP_REQUESTED, W.STOP_CONFIRMED}),
    W.STOP_CONFIRMED: frozenset(),
}

OPEN_SWITCH_STATES = frozenset(s for s, targets in SWITCH_TRANSITIONS.items() if targets)
