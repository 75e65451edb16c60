"""The key of a cached unit list (`Runtime.unit_lists`): what the list depends on besides
the tenant's rows, which the cache's change tracking covers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import NamedTuple

from ebhxh.errors.messages import Language


class UnitListKey(NamedTuple):
    tenant_id: uuid.UUID
    language: Language  # the next step is written in it
    today: dt.date  # a province's route and forms change on dated rules
