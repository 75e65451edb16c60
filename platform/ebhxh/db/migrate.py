"""Apply the platform's migrations to the database the settings name (`ebhxh migrate`),
and tell whether the schema is current (`ebhxh migrate --check / --wait`).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from piccolo.apps.migrations.tables import Migration

from ebhxh.db.piccolo_app import APP_NAME

MIGRATIONS_PACKAGE = "ebhxh.db.migrations"

PICCOLO_CONF = "ebhxh.db.piccolo_conf"


async def migrate_forwards() -> bool:
    """Run every migration not yet applied; True on success.

    Piccolo's runner reads its engine from `PICCOLO_CONF`, which builds it from the same
    environment settings the app reads.
    """
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name=APP_NAME, migration_id="all")
    return bool(result.success)


def known_migrations() -> list[str]:
    """The ids of the migrations this version ships, in order."""
    folder = Path(__file__).parent / "migrations"
    ids = []
    for path in folder.glob("*.py"):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"{MIGRATIONS_PACKAGE}.{path.stem}")
        if getattr(module, "ID", None):
            ids.append(str(module.ID))
    return sorted(ids)


async def pending_migrations() -> list[str]:
    """The shipped migrations the bound database has not applied (all, on an empty one).

    Needs the tables bound (`ebhxh.db.engine.bind_engine`); raises when the database
    cannot be reached.
    """
    shipped = known_migrations()
    if not await Migration.table_exists():
        return shipped
    ran = set(await Migration.get_migrations_which_ran(app_name=APP_NAME))
    return [migration for migration in shipped if migration not in ran]
