"""The outbox's action names (the work a row asks for) and how often VSS is polled."""

from __future__ import annotations

import datetime as dt

SUBMIT = "submit"
"""Send the signed dossier to VSS."""
POLL = "poll"
"""Ask VSS for the officer's decision."""
CONTINUE = "continue"
"""Sign and submit a service registration once the old provider's service stopped."""
POLL_INTERVAL = dt.timedelta(seconds=5)
"""The first poll after a dossier reaches the officer (later ones back off)."""
