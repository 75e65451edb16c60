"""How hard the hostile-input proofs push: the short form (CI) or the long form on demand.

`EBHXH_PROOF=long uv run pytest tests/test_schemathesis.py tests/test_identifier_properties.py`
raises the example counts; without it the counts keep the suite to a few minutes.
"""

from __future__ import annotations

import os

LONG = os.environ.get("EBHXH_PROOF", "short").lower() == "long"


def examples(short: int, long: int) -> int:
    """The example count for this run's form."""
    return long if LONG else short
