"""What Piccolo columns cannot express about employees: one employee per (tenant, unit,
social-insurance number), the conflict target of the sync's upsert; at most one running
sync per unit (a partial unique index); and the running syncs by lease. SQL that runs on
both SQLite and PostgreSQL, in the migration's own transaction."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T17:40:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes of employees and employee syncs."

INDEXES = (
    "CREATE UNIQUE INDEX employee_unit_number ON employee (tenant, unit, social_insurance_number)",
    "CREATE UNIQUE INDEX employee_sync_one_running ON employee_sync (unit) WHERE state = 'running'",
    "CREATE INDEX employee_sync_lease ON employee_sync (lease_until) WHERE state = 'running'",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
