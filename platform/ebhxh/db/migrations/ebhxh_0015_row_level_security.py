"""Row-level security on every tenant table (PostgreSQL only: SQLite has none): the app
role sees and writes only the rows of the tenant bound to its transaction. Tables added
later get theirs in their own migration, through `ebhxh.db.row_security`."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from ebhxh.db.row_security import enable_statements

ID = "2026-11-26T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Row-level security on the tenant tables."

TENANT_TABLES = (
    "membership",
    "api_token",
    "org_node",
    "insurance_unit",
    "signature_setup",
    "signing_request",
    "dossier",
    "dossier_event",
    "outbox_job",
    "provider_switch",
    "provider_switch_event",
    "paper_dossier",
    "employee_sync",
    "employee",
    "device_pairing",
    "device",
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
