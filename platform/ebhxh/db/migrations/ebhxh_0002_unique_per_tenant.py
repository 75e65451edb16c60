"""Uniqueness within a tenant, which Piccolo columns cannot express: SQL that runs on both
SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T14:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique indexes per tenant: memberships, org external ids, unit tax codes and nodes."

STATEMENTS = (
    "CREATE UNIQUE INDEX membership_tenant_user_role ON membership (tenant, \"user\", role)",
    "CREATE UNIQUE INDEX org_node_tenant_external_id ON org_node (tenant, external_id)",
    "CREATE UNIQUE INDEX insurance_unit_tenant_tax_code ON insurance_unit (tenant, tax_code)",
    "CREATE UNIQUE INDEX insurance_unit_org_node ON insurance_unit (org_node)",
    "CREATE INDEX org_node_parent ON org_node (parent)",
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
