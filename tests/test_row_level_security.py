"""Row-level security on PostgreSQL, the second wall behind `TenantScope`: with the scoping
bypassed (queries without a tenant WHERE, bound to another tenant, or not bound at all) the
database itself refuses other tenants' rows. The suite's app role is `APP_ROLE`, which owns
no table; the owner (the admin role) runs the migrations.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.db.binding import SYSTEM, BindingMismatch, begin_statement, bound_to
from ebhxh.db.engine import POOL_OPTIONS, RowSecurityEngine
from ebhxh.db.registry import GLOBAL_TABLES, TENANT_TABLES
from ebhxh.db.row_security import role_problems
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.organisation.tables import OrgNode
from ebhxh.settings import Settings
from ebhxh.units.tables import InsuranceUnit
from tests.conftest import (
    APP_ROLE,
    HANOI_TREE,
    HQ_DECLARATION,
    REDIS_URL,
    TenantHandle,
    in_app,
    run_cli,
)

Client = AsyncTestClient[Litestar]

CATALOG = """
SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT string_agg(pg_get_expr(p.polqual, p.polrelid) || ' / '
                          || pg_get_expr(p.polwithcheck, p.polrelid), ';')
        FROM pg_policy p WHERE p.polrelid = c.oid) AS expressions
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""


async def _fetch(url: str, *statements: str, args: tuple[Any, ...] = ()) -> list[Any]:
    """Run `statements` on one fresh connection; the rows of the last (given `args`)."""
    connection = await asyncpg.connect(url)
    try:
        for statement in statements[:-1]:
            await connection.execute(statement)
        return list(await connection.fetch(statements[-1], *args))
    finally:
        await connection.close()


async def _tenant_with_unit(client: Client, tenant: TenantHandle) -> str:
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    declared = await client.post("/units", json=HQ_DECLARATION, headers=tenant.headers)
    assert declared.status_code == 201, declared.text
    return str(declared.json()["id"])


async def test_every_tenant_table_has_forced_row_security_and_a_policy(pg_url: str) -> None:
    catalog = {row["name"]: row for row in await _fetch(pg_url, CATALOG)}
    unprotected = [
        table._meta.tablename
        for table in TENANT_TABLES
        if (
            catalog[table._meta.tablename]["enabled"],
            catalog[table._meta.tablename]["forced"],
            catalog[table._meta.tablename]["policies"],
        )
        != (True, True, 1)
    ]
    assert unprotected == []
    for table in TENANT_TABLES:
        using, check = catalog[table._meta.tablename]["expressions"].split(" / ")
        assert "app.tenant_id" in using and "app.tenant_id" in check, table
    # Platform tables (tenants, users, operators and their audit trail): no policy there.
    assert [catalog[t._meta.tablename]["enabled"] for t in GLOBAL_TABLES] == [False] * len(
        GLOBAL_TABLES
    )


async def test_the_app_role_is_neither_owner_nor_superuser_nor_bypassrls(
    pg_url: str, pg_owner_url: str
) -> None:
    role, problems = await role_problems(RowSecurityEngine(config={"dsn": pg_url}))
    assert (role, problems) == (APP_ROLE, [])
    # The same check sees through the owner (the admin role): it would pass the policies.
    _, owner_problems = await role_problems(RowSecurityEngine(config={"dsn": pg_owner_url}))
    assert "is a superuser" in owner_problems


async def test_with_scoping_bypassed_another_tenants_rows_are_out_of_reach(
    client: Client, make_tenant: Any, pg_url: str
) -> None:
    a, b = await make_tenant(), await make_tenant()
    unit_a = await _tenant_with_unit(client, a)
    await _tenant_with_unit(client, b)
    bind_b = f"SELECT set_config('app.tenant_id', '{b.id}', false)"  # session-wide, for the test
    seen = await _fetch(pg_url, bind_b, "SELECT DISTINCT tenant FROM insurance_unit")
    assert [row["tenant"] for row in seen] == [b.id]
    update = "UPDATE insurance_unit SET name = 'x' WHERE tenant = $1 RETURNING id"
    changed = await _fetch(pg_url, bind_b, update, args=(a.id,))
    delete = "DELETE FROM api_token WHERE tenant = $1 RETURNING id"
    removed = await _fetch(pg_url, bind_b, delete, args=(a.id,))
    assert (changed, removed) == ([], [])

    async def through_the_orm() -> tuple[Any, ...]:
        with bound_to(b.id):  # TenantScope bypassed: no tenant in any WHERE below
            units = await InsuranceUnit.select(InsuranceUnit.id, InsuranceUnit.tenant)
            renamed = (
                await InsuranceUnit.update({InsuranceUnit.name: "x"})
                .where(InsuranceUnit.id == uuid.UUID(unit_a))
                .returning(InsuranceUnit.id)
            )
            deleted = await OrgNode.delete().where(OrgNode.tenant == a.id).returning(OrgNode.id)
            intruder = OrgNode(tenant=a.id, external_id="INTRUDER", kind="company", name="x")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                await OrgNode.insert(intruder)
        return units, renamed, deleted

    units, renamed, deleted = in_app(client, through_the_orm)
    assert {row["tenant"] for row in units} == {b.id}
    assert (renamed, deleted) == ([], [])
    kept = await client.get(f"/units/{unit_a}", headers=a.headers)
    assert kept.json()["name"] == HQ_DECLARATION["name"]
    nodes = (await client.get("/organisation", headers=a.headers)).json()["nodes"]
    assert len(nodes) == len(HANOI_TREE["nodes"])


async def test_an_unbound_connection_sees_no_tenant_row(
    client: Client, make_tenant: Any, pg_url: str, pg_owner_url: str
) -> None:
    await _tenant_with_unit(client, await make_tenant())
    count = "SELECT count(*) AS n FROM insurance_unit"
    assert (await _fetch(pg_owner_url, count))[0]["n"] >= 1  # the rows are there
    assert (await _fetch(pg_url, count))[0]["n"] == 0
    # A setting left empty (as after a transaction-local one) binds nothing either.
    unset = "SELECT set_config('app.tenant_id', '', false)"
    assert (await _fetch(pg_url, unset, count))[0]["n"] == 0
    assert (await _fetch(pg_url, "SELECT count(*) AS n FROM api_token"))[0]["n"] == 0

    async def unbound_orm() -> tuple[int, int]:
        with bound_to(SYSTEM):
            everything = int(await InsuranceUnit.count())
        return int(await InsuranceUnit.count()), everything

    unbound, system = in_app(client, unbound_orm)
    assert (unbound, system >= 1) == (0, True)


async def test_a_connection_given_back_mid_transaction_keeps_no_binding(
    client: Client, make_tenant: Any, pg_url: str
) -> None:
    """The pool's reset (`POOL_OPTIONS`) is only asyncpg's own part, which rolls back: a
    binding lives in its transaction, so a connection given back inside one (its task
    cancelled) comes out of the pool bound to nobody.
    """
    await _tenant_with_unit(client, tenant := await make_tenant())
    count = "SELECT count(*) AS n FROM insurance_unit"
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=1, **POOL_OPTIONS)
    try:
        async with pool.acquire() as connection:
            await connection.execute(begin_statement(uuid.UUID(str(tenant.id))))
            assert (await connection.fetchrow(count))["n"] == 1  # bound: the tenant's unit
            first = connection.get_server_pid()
        async with pool.acquire() as connection:  # the same connection, given back
            assert connection.get_server_pid() == first
            assert not connection.is_in_transaction()
            assert (await connection.fetchrow(count))["n"] == 0
    finally:
        await pool.close()


SESSION_STATE = {
    "a session-level set_config": re.compile(r"set_config\([^)]*,\s*false\s*\)", re.I),
    "a SET that is not LOCAL": re.compile(r"(^|[\"';]\s*)SET\s+(?!LOCAL\b)\w", re.M),
    "a session advisory lock": re.compile(r"pg_(try_)?advisory_lock", re.I),
    "a LISTEN": re.compile(r"[\"';]\s*LISTEN\s|add_listener\("),
    "a temporary table": re.compile(r"CREATE\s+(TEMP|TEMPORARY)\b", re.I),
    "a cursor kept past its transaction": re.compile(r"WITH\s+HOLD"),
}
LISTENS_ON_ITS_OWN_CONNECTION = {"platform/ebhxh/db/change_feed.py"}


def test_nothing_leaves_session_state_on_a_pooled_connection() -> None:
    """The pool's reset no longer runs `RESET ALL; CLOSE ALL; UNLISTEN *;
    pg_advisory_unlock_all()` (`ebhxh.db.engine.roll_back_only`): that holds only while no
    code leaves session state on a connection it gives back. A session-level tenant or
    system binding would reach the next unbound query on that connection.
    """
    root = Path(__file__).resolve().parents[1]
    sources = [
        path
        for folder in ("platform/ebhxh", "plugins")
        for path in sorted((root / folder).rglob("*.py"))
    ]
    assert len(sources) > 100
    found = [
        f"{path.relative_to(root)}: {what}"
        for path in sources
        for what, pattern in SESSION_STATE.items()
        if pattern.search(path.read_text())
        and not (
            what == "a LISTEN" and str(path.relative_to(root)) in LISTENS_ON_ITS_OWN_CONNECTION
        )
    ]
    assert found == []
    # The patterns find what they look for (else this test could never fail).
    assert SESSION_STATE["a SET that is not LOCAL"].search('x = "SET ROLE app"')
    assert not SESSION_STATE["a SET that is not LOCAL"].search(
        '"SET LOCAL synchronous_commit TO OFF"'
    )
    assert not SESSION_STATE["a SET that is not LOCAL"].search("UPDATE t SET x = 1")
    assert SESSION_STATE["a session-level set_config"].search(
        "set_config('app.system', 'on', false)"
    )
    assert SESSION_STATE["a session advisory lock"].search("SELECT pg_advisory_lock(1)")
    assert not SESSION_STATE["a session advisory lock"].search("pg_advisory_xact_lock(1)")
    assert SESSION_STATE["a LISTEN"].search('await connection.execute("LISTEN ebhxh_changes")')


async def test_a_scope_cannot_run_inside_another_tenants_transaction(
    client: Client, make_tenant: Any
) -> None:
    a, b = await make_tenant(), await make_tenant()

    async def mixed() -> None:
        async with TenantScope(a.id).transaction():
            with pytest.raises(BindingMismatch):
                await TenantScope(b.id).select(InsuranceUnit)
            with pytest.raises(BindingMismatch):
                async with TenantScope(b.id).transaction():
                    pass
            await TenantScope(a.id).select(InsuranceUnit)  # its own still runs

    in_app(client, mixed)


async def test_interleaved_requests_of_two_tenants_never_see_each_other(
    client: Client, make_tenant: Any
) -> None:
    a, b = await make_tenant(), await make_tenant()
    own = {a.id: {await _tenant_with_unit(client, a)}, b.id: {await _tenant_with_unit(client, b)}}
    tenants = [a, b] * 100

    async def listed(tenant: TenantHandle) -> tuple[uuid.UUID, set[str]]:
        response = await client.get("/units", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return tenant.id, {unit["id"] for unit in response.json()["units"]}

    answers = await asyncio.gather(*(listed(t) for t in tenants))  # the app's pool holds 10
    assert len(answers) == 200
    assert all(ids == own[tenant_id] for tenant_id, ids in answers)

    async def scoped_in_parallel() -> list[bool]:
        async def one(tenant_id: uuid.UUID) -> bool:
            rows = await TenantScope(tenant_id).select(InsuranceUnit, InsuranceUnit.id)
            return {str(row["id"]) for row in rows} == own[tenant_id]

        return list(await asyncio.gather(*(one(t.id) for t in tenants)))

    assert all(in_app(client, scoped_in_parallel))


def test_migrate_grants_the_app_role_on_every_run(pg_url: str, pg_owner_url: str) -> None:
    env = {"EBHXH_DATABASE_URL": pg_url, "EBHXH_DATABASE_OWNER_URL": pg_owner_url}
    for _ in range(2):
        result = run_cli("migrate", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"Granted row access to the app role {APP_ROLE}" in result.stdout


async def test_ready_warns_when_the_apps_role_passes_the_policies(
    pg_owner_url: str, pg_url: str
) -> None:
    for url, warned in ((pg_owner_url, True), (pg_url, False)):
        app = create_app(Settings(database_url=url, redis_url=REDIS_URL), configure_logs=False)
        with structlog.testing.capture_logs() as logs:
            async with AsyncTestClient(app=app) as test_client:
                await test_client.get("/ready")
        events = [e for e in logs if e["event"] == "database_role_bypasses_row_security"]
        assert bool(events) is warned, url
        if warned:
            assert "is a superuser" in events[0]["problems"]
