"""PostgreSQL row-level security: the policy SQL for a tenant table, the grants the app role
needs, and the check that the app's role is one the policies hold for.

Migrations call `enable_statements(table)` for each tenant table they create (migrations
are history: they name their tables, they do not read the registry). The policy admits a
row when its tenant is the one bound to the transaction, or when the transaction is bound
to the system (`ebhxh.db.binding`); an unbound transaction sees no row, and an insert or
update that would leave the bound tenant is refused.
"""

from __future__ import annotations

import re
from typing import Any

POLICY = "tenant_isolation"

TENANT_SETTING = "app.tenant_id"
SYSTEM_SETTING = "app.system"

POLICY_EXPRESSION = (
    f"tenant = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
    f" OR current_setting('{SYSTEM_SETTING}', true) = 'on'"
)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain table or role name: {name!r}")
    return name


def enable_statements(table: str) -> list[str]:
    """ENABLE and FORCE row-level security on `table` (FORCE: the owner obeys it too) and
    its tenant policy, for reads (USING) and writes (WITH CHECK).
    """
    name = _identifier(table)
    return [
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY} ON {name} USING ({POLICY_EXPRESSION})"
        f" WITH CHECK ({POLICY_EXPRESSION})",
    ]


def grant_statements(role: str) -> list[str]:
    """What the app role may do in the public schema: read and write rows, nothing more.
    Idempotent, so `ebhxh migrate` repeats it every run (new tables get it too).
    """
    name = _identifier(role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
    ]


ROLE_CHECK = """
SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND pg_has_role(current_user, c.relowner, 'USAGE')) AS owned_tables
FROM pg_roles r WHERE r.rolname = current_user
"""
"""The connected role's powers that would let it past the policies."""


async def role_problems(engine: Any) -> tuple[str, list[str]]:
    """The connected role of `engine` (PostgreSQL) and why row-level security would not
    hold for it (empty when it would).
    """
    row = dict((await engine.run_ddl(ROLE_CHECK, in_pool=True))[0])
    return str(row["role"]), _problems(row)


def _problems(row: dict[str, Any]) -> list[str]:
    problems = []
    if row["superuser"]:
        problems.append("is a superuser")
    if row["bypassrls"]:
        problems.append("has BYPASSRLS")
    if row["owned_tables"]:
        problems.append(f"owns {row['owned_tables']} table(s) (or is a member of their owner)")
    return problems
