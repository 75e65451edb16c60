"""The baseline of `bench.unit_list`: a bare Litestar app whose one endpoint returns the same
unit list JSON our API returned, from memory (no authentication, no database).

    EBHXH_BENCH_UNITS_JSON=/path/units.json uvicorn bench.bare_units:app
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from litestar import Litestar, get

from ebhxh.units.schemas import UnitList

UNITS = msgspec.json.decode(Path(os.environ["EBHXH_BENCH_UNITS_JSON"]).read_bytes(), type=UnitList)


@get("/units", sync_to_thread=False)
def list_units() -> UnitList:
    return UNITS


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([list_units, health], openapi_config=None)
