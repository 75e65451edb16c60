"""What Piccolo columns cannot express about single sign-on: one identity per (tenant,
issuer, subject), and the live sessions by user (to end them when memberships go). SQL that
runs on both SQLite and PostgreSQL, in the migration's own transaction."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes of single sign-on identities and sessions."

INDEXES = (
    "CREATE UNIQUE INDEX sso_identity_subject ON sso_identity (tenant, issuer, subject)",
    "CREATE INDEX sso_session_user ON sso_session (tenant, \"user\") WHERE ended_at IS NULL",
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
