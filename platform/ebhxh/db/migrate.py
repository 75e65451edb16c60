"""Apply the platform's migrations to the database the settings name (`ebhxh migrate`)."""

from __future__ import annotations

import os

from ebhxh.db.piccolo_app import APP_NAME

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
