from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A pending signing request's signer state (encrypted)."


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="ebhxh", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="SigningRequest",
        tablename="signing_request",
        column_name="signer_state",
        db_column_name="signer_state",
        column_class_name="Bytea",
        column_class=Bytea,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
