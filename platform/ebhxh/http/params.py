"""Free-text query parameters, checked at the edge as the JSON bodies' text fields are: no
control characters (a NUL cannot reach PostgreSQL, which refuses it in text) and a bounded
length. A bad one is a 400 naming the parameter, before any handler runs.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from ebhxh.text import PRINTABLE

MAX_QUERY_TEXT = 500

QueryText = Annotated[str | None, QueryParameter(pattern=PRINTABLE, max_length=MAX_QUERY_TEXT)]
"""An optional query parameter of free text: `name: QueryText = None`."""
