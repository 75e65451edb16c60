"""The dossier state machine: one explicit table of states and the transitions between them."""

from __future__ import annotations

from enum import StrEnum


class DossierState(StrEnum):
    """Where a dossier is."""

    DRAFT = "draft"
    AWAITING_STOP = "awaiting_stop"
    """A service registration waiting until the unit's old provider's service is stopped."""
    SIGNING = "signing"
    SIGNED = "signed"
    SUBMITTING = "submitting"
    """Queued for VSS (retried until VSS answers)."""
    AWAITING_ACTIVATION = "awaiting_activation"
    ACTIVATION_EXPIRED = "activation_expired"
    WITH_OFFICER = "with_officer"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    """A change dossier VSS recorded."""
    ACTIVE = "active"
    """A service registration VSS activated: the unit files electronically with us."""
    REFUSED = "refused"
    """VSS refused the submission (invalid signature, registered elsewhere, ...)."""
    SUPERSEDED = "superseded"
    """Re-registered as a new version after a rejection or refusal."""


S = DossierState

TRANSITIONS: dict[DossierState, frozenset[DossierState]] = {
    S.DRAFT: frozenset({S.SIGNING, S.AWAITING_STOP}),
    S.AWAITING_STOP: frozenset({S.SIGNING}),
    S.SIGNING: frozenset({S.SIGNED, S.DRAFT}),
    S.SIGNED: frozenset({S.SUBMITTING}),
    # A stop of service needs no activation code: it goes to the officer at once.
    S.SUBMITTING: frozenset({S.AWAITING_ACTIVATION, S.ACCEPTED, S.REFUSED, S.WITH_OFFICER}),
    S.AWAITING_ACTIVATION: frozenset({S.WITH_OFFICER, S.ACTIVE, S.ACTIVATION_EXPIRED}),
    # VSS may confirm an activation that raced our own 24-hour expiry.
    S.ACTIVATION_EXPIRED: frozenset({S.AWAITING_ACTIVATION, S.WITH_OFFICER, S.ACTIVE}),
    S.WITH_OFFICER: frozenset({S.APPROVED, S.REJECTED}),
    S.REJECTED: frozenset({S.SUPERSEDED}),
    S.REFUSED: frozenset({S.SUPERSEDED}),
    S.APPROVED: frozenset(),
    S.ACCEPTED: frozenset(),
    S.ACTIVE: frozenset(),
    S.SUPERSEDED: frozenset(),
}

FINAL = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
OPEN = frozenset(set(S) - FINAL - {S.REJECTED, S.REFUSED})
"""States in which a unit's dossier of a kind is still in progress (at most one at a time)."""


def allowed(source: DossierState, target: DossierState) -> bool:
    """Whether the machine allows `source -> target`."""
    return target in TRANSITIONS[source]
