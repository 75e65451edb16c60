"""At most one dossier of a kind in progress per unit, enforced by the database (a partial
unique index; SQLite and PostgreSQL both have them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One open dossier per unit and kind."

OPEN_STATES = (
    "draft", "signing", "signed", "submitting", "awaiting_activation", "activation_expired",
    "with_officer",
)
STATEMENT = (
    "CREATE UNIQUE INDEX dossier_one_open_per_kind ON dossier (unit, kind) WHERE state IN ("
    + ", ".join(f"'{state}'" for state in OPEN_STATES)
    + ")"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        await engine.run_ddl(STATEMENT)

    manager.add_raw(create_index)
    return manager
