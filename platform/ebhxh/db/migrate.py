"""Apply the platform's migrations to the database the settings name (`ebhxh migrate`),
and tell whether the schema is current (`ebhxh migrate --check / --wait`).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import asyncpg
from piccolo.apps.migrations.tables import Migration

from ebhxh.db.piccolo_app import APP_NAME
from ebhxh.db.row_security import grant_statements
from ebhxh.settings import Settings

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


async def grant_app_role(settings: Settings) -> str | None:
    """Give the app's role (of `database_url`) row access when migrations ran as another
    role (`database_owner_url`); the role granted, or None when there is none to grant.
    Repeated every run: GRANT is idempotent and covers tables added since.
    """
    owner_url = settings.database_owner_url
    if not settings.database_url or not owner_url or owner_url == settings.database_url:
        return None
    app = await asyncpg.connect(settings.database_url)
    try:
        role = str(await app.fetchval("SELECT current_user"))
    finally:
        await app.close()
    owner = await asyncpg.connect(owner_url)
    try:
        if role == await owner.fetchval("SELECT current_user"):
            return None
        for statement in grant_statements(role):
            await owner.execute(statement)
    finally:
        await owner.close()
    return role


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
