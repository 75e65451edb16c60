"""A registration may wait for a stop ("awaiting_stop" joins the open states of the
one-open-dossier index), and a unit has at most one switch in progress."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T17:30:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes of provider switches."

OPEN_DOSSIER_STATES = (
    "draft", "awaiting_stop", "signing", "signed", "submitting", "awaiting_activation",
    "activation_expired", "with_officer",
)
OPEN_SWITCH_STATES = ("detected", "stop_requested", "stop_refused")
STATEMENTS = (
    "DROP INDEX dossier_one_open_per_kind",
    "CREATE UNIQUE INDEX dossier_one_open_per_kind ON dossier (unit, kind) WHERE state IN ("
    + ", ".join(f"'{state}'" for state in OPEN_DOSSIER_STATES)
    + ")",
    "CREATE UNIQUE INDEX provider_switch_one_open_per_unit ON provider_switch (unit) "
    "WHERE state IN (" + ", ".join(f"'{state}'" for state in OPEN_SWITCH_STATES) + ")",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ebhxh", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine configured")
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
