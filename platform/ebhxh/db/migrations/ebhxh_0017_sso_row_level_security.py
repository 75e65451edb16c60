"""Row-level security on the single sign-on tables (built beside the row-level security
migration, merged after it): like 0015, PostgreSQL only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from ebhxh.db.row_security import enable_statements

ID = "2026-11-26T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Row-level security on the single sign-on tables."

TENANT_TABLES = (
    "identity_provider",
    "identity_provider_domain",
    "sso_identity",
    "sso_session",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def enable() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        if not isinstance(engine, PostgresEngine):
            return
        for table in TENANT_TABLES:
            for statement in enable_statements(table):
                await engine.run_ddl(statement)

    manager.add_raw(enable)
    return manager
