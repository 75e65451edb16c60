"""Change notifications for the read caches (`ebhxh.db.change_feed`): every row written to
the tables a cache reads sends `<table>:<tenant id>` on the channel `ebhxh_changes` when its
transaction commits (a TRUNCATE sends `<table>:*`). PostgreSQL only, like 0015.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Change notifications for the read caches."

CACHED_TABLES = ("api_token", "membership", "insurance_unit", "org_node")

FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION ebhxh_notify_row_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        changed uuid;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            changed := OLD.tenant;
        ELSE
            changed := NEW.tenant;
        END IF;
        PERFORM pg_notify('ebhxh_changes', TG_TABLE_NAME || ':' || changed::text);
        IF TG_OP = 'UPDATE' AND OLD.tenant IS DISTINCT FROM NEW.tenant THEN
            PERFORM pg_notify('ebhxh_changes', TG_TABLE_NAME || ':' || OLD.tenant::text);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION ebhxh_notify_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('ebhxh_changes', TG_TABLE_NAME || ':*');
        RETURN NULL;
    END
    $$
    """,
)


def trigger_statements(table: str) -> tuple[str, ...]:
    return (
        f"DROP TRIGGER IF EXISTS ebhxh_notify_row_change ON {table}",
        f"CREATE TRIGGER ebhxh_notify_row_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ebhxh_notify_row_change()",
        f"DROP TRIGGER IF EXISTS ebhxh_notify_truncate ON {table}",
        f"CREATE TRIGGER ebhxh_notify_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ebhxh_notify_truncate()",
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        if not isinstance(engine, PostgresEngine):
            return
        for statement in FUNCTIONS:
            await engine.run_ddl(statement)
        for table in CACHED_TABLES:
            for statement in trigger_statements(table):
                await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
