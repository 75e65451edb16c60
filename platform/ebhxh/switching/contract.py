"""What a competing-provider plugin describes: who the provider is and how to leave it.

VSS accepts one provider per unit at a time, so a unit registered elsewhere must stop that
service first. Plugins return `CompetingProvider` descriptors from the hook
`ebhxh_competing_providers`; the platform matches the provider name VSS reports against
each descriptor's `names`.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class StopProcedure(StrEnum):
    """How a unit stops a provider's service."""

    DOSSIER = "dossier"
    """A stop-of-service dossier the unit signs and the platform submits to VSS."""
    PORTAL = "portal"
    """Something the user does in the old provider's own portal."""


class CompetingProvider(msgspec.Struct, frozen=True, kw_only=True):
    """A competing provider and its stop procedure."""

    key: str
    """Stable identifier, e.g. "vnpt"."""
    display_name: str
    names: tuple[str, ...]
    """Every name VSS or users use for it (matched without case or diacritics)."""
    stop_procedure: StopProcedure
    portal_steps: tuple[str, ...] = ()
    """For the portal procedure: the exact steps in the old provider's portal, in order."""
    requirements: tuple[str, ...] = ()
    """What the user must have to stop the service (e.g. the certificate registered there)."""
    support_contact: str | None = None
    """Where the user gets help from the old provider (website, hotline)."""
    fallback: bool = False
    """True for the generic descriptor used when no other one matches."""
