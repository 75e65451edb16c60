"""An API token's use is not a change: `last_used_at`, written at most once a minute per
token as it is used, no longer notifies `ebhxh_changes`. It did, which dropped the tenant's
cached principals and unit lists in every API process each time a token was used after a
pause. Any other update of a token (revocation above all) still notifies. PostgreSQL only,
like 0018.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "An API token's use does not notify the read caches."

STATEMENTS = (
    "DROP TRIGGER IF EXISTS ebhxh_notify_row_change ON api_token",
    "DROP TRIGGER IF EXISTS ebhxh_notify_token_written ON api_token",
    "CREATE TRIGGER ebhxh_notify_token_written AFTER INSERT OR DELETE ON api_token "
    "FOR EACH ROW EXECUTE FUNCTION ebhxh_notify_row_change()",
    "DROP TRIGGER IF EXISTS ebhxh_notify_token_changed ON api_token",
    # Every column but last_used_at, so that a column added later notifies too.
    "CREATE TRIGGER ebhxh_notify_token_changed AFTER UPDATE ON api_token FOR EACH ROW "
    "WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at')) "
    "EXECUTE FUNCTION ebhxh_notify_row_change()",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        if not isinstance(engine, PostgresEngine):
            return
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
