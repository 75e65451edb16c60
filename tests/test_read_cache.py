"""The read caches (API token principals, unit lists): what they keep, and that every
change reaches them, from this process at once and from any other through the change feed
(PostgreSQL LISTEN/NOTIFY), including while the feed is down.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.db.change_feed import APPLICATION_NAME
from ebhxh.db.generations import Generations
from ebhxh.db.read_cache import ReadCache
from ebhxh.runtime import Runtime
from tests.conftest import (
    DA_NANG_BRANCH_DECLARATION,
    HANOI_TREE,
    HQ_DECLARATION,
    TenantHandle,
    in_app,
)

Client = AsyncTestClient[Litestar]
TENANT_A, TENANT_B = uuid.uuid4(), uuid.uuid4()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _cache(generations: Generations, listening: Callable[[], bool] = lambda: True) -> Any:
    clock = FakeClock()
    cache: ReadCache[str, str] = ReadCache(
        listening=listening,
        ttl_seconds=60,
        max_entries=3,
        generations=generations,
        monotonic=clock,
    )
    return cache, clock


def test_a_value_is_served_until_its_tenant_changes_or_it_expires() -> None:
    generations = Generations()
    cache, clock = _cache(generations)
    cache.put("a", TENANT_A, cache.mark(), "units of A")
    cache.put("b", TENANT_B, cache.mark(), "units of B")
    assert cache.get("a") == "units of A"

    generations.touch(TENANT_B)
    assert cache.get("a") == "units of A"  # another tenant's change leaves A alone
    assert cache.get("b") is None

    clock.now += 61
    assert cache.get("a") is None


def test_a_value_read_while_its_tenant_changed_is_not_kept() -> None:
    generations = Generations()
    cache, _ = _cache(generations)
    mark = cache.mark()  # the read begins...
    generations.touch(TENANT_A)  # ...a change commits while it runs...
    cache.put("a", TENANT_A, mark, "maybe stale")  # ...so what it read is dropped
    assert cache.get("a") is None
    assert len(cache) == 0

    mark = cache.mark()
    generations.touch(TENANT_B)  # another tenant's change does not matter
    cache.put("a", TENANT_A, mark, "current")
    assert cache.get("a") == "current"


def test_nothing_is_kept_or_served_while_the_feed_is_down() -> None:
    generations = Generations()
    listening = [True]
    cache, _ = _cache(generations, lambda: listening[0])
    cache.put("a", TENANT_A, cache.mark(), "units of A")
    listening[0] = False
    assert cache.mark() is None
    assert cache.get("a") is None
    cache.put("b", TENANT_B, cache.mark(), "units of B")
    assert len(cache) == 0

    listening[0] = True
    mark = cache.mark()
    generations.touch_all()  # the feed came back: what was read before may be stale
    cache.put("b", TENANT_B, mark, "units of B")
    assert len(cache) == 0


def test_the_oldest_entry_makes_room() -> None:
    cache, _ = _cache(Generations())
    for key in "abcd":
        cache.put(key, TENANT_A, cache.mark(), key)
    assert len(cache) == 3
    assert cache.get("a") is None
    assert [cache.get(key) for key in "bcd"] == ["b", "c", "d"]


# --- on PostgreSQL, through the API -------------------------------------------------------


def _runtime(client: Client) -> Runtime:
    runtime: Runtime = client.app.state.runtime
    return runtime


async def _feed_listening(client: Client) -> None:
    changes = _runtime(client).changes
    assert changes is not None
    assert in_app(client, changes.listening_within, 10)


async def _declared(client: Client, tenant: TenantHandle) -> None:
    assert (await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)).is_success
    declared = await client.post("/units", json=HQ_DECLARATION, headers=tenant.headers)
    assert declared.status_code == 201, declared.text
    await _feed_listening(client)


async def _owner_sql(owner_url: str, sql: str, *args: Any) -> None:
    """A write by another process: the owner's own connection, not the app's pool."""
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


async def _eventually(check: Callable[[], Any], seconds: float = 5.0) -> float:
    """Seconds until `check()` (a coroutine function) returns true; fails after `seconds`."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, "the change never reached the API"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _unit_names(client: Client, tenant: TenantHandle) -> list[str]:
    listed = await client.get("/units", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    return [unit["name"] for unit in listed.json()["units"]]


async def test_a_unit_list_is_served_from_memory_until_another_process_changes_it(
    client: Client, tenant: TenantHandle, pg_owner_url: str
) -> None:
    await _declared(client, tenant)
    assert await _unit_names(client, tenant) == [HQ_DECLARATION["name"]]
    assert len(_runtime(client).unit_lists) == 1
    assert len(_runtime(client).principals) == 1

    await _owner_sql(
        pg_owner_url, "UPDATE insurance_unit SET name = 'Tên mới' WHERE tenant = $1", tenant.id
    )

    async def renamed() -> bool:
        return await _unit_names(client, tenant) == ["Tên mới"]

    await _eventually(renamed)


async def test_a_token_revoked_by_another_process_stops_working(
    client: Client, tenant: TenantHandle, pg_owner_url: str
) -> None:
    await _declared(client, tenant)
    assert (await client.get("/units", headers=tenant.headers)).status_code == 200
    assert (await client.get("/units", headers=tenant.headers)).status_code == 200

    await _owner_sql(
        pg_owner_url, "UPDATE api_token SET revoked_at = now() WHERE tenant = $1", tenant.id
    )

    async def refused() -> bool:
        return (await client.get("/units", headers=tenant.headers)).status_code == 401

    await _eventually(refused)
    assert len(_runtime(client).principals) == 0


async def test_a_client_reads_its_own_write_at_once(
    client: Client, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _declared(client, tenant)
    # The feed's notifications arrive but count for nothing here, as if late: this
    # process's own writes must stale its cache without them.
    monkeypatch.setattr(_runtime(client).changes, "_generations", Generations())
    assert await _unit_names(client, tenant) == [HQ_DECLARATION["name"]]
    branch = DA_NANG_BRANCH_DECLARATION
    assert (await client.post("/units", json=branch, headers=tenant.headers)).status_code == 201
    # No wait: the write staled this process's cache before the response was sent.
    assert sorted(await _unit_names(client, tenant)) == sorted(
        [HQ_DECLARATION["name"], "Chi nhánh Đà Nẵng"]
    )
    particulars = {"phone": "0243 999 888"}
    [unit] = [
        u
        for u in (await client.get("/units", headers=tenant.headers)).json()["units"]
        if u["name"] == "Chi nhánh Đà Nẵng"
    ]
    changed = await client.put(
        f"/units/{unit['id']}/particulars", json=particulars, headers=tenant.headers
    )
    assert changed.status_code == 200, changed.text
    listed = (await client.get("/units", headers=tenant.headers)).json()["units"]
    assert [u["particulars"]["phone"] for u in listed if u["id"] == unit["id"]] == ["0243 999 888"]


async def test_while_the_feed_is_down_nothing_stale_is_served_and_it_comes_back(
    client: Client, tenant: TenantHandle, pg_owner_url: str
) -> None:
    await _declared(client, tenant)
    assert await _unit_names(client, tenant) == [HQ_DECLARATION["name"]]
    changes = _runtime(client).changes
    assert changes is not None

    # The feed's connection dies and a write commits before it is back: that write's
    # notification is lost, so nothing cached before may be served.
    await _owner_sql(
        pg_owner_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    await _owner_sql(
        pg_owner_url,
        "UPDATE insurance_unit SET name = 'Lúc mất kết nối' WHERE tenant = $1",
        tenant.id,
    )
    assert await _unit_names(client, tenant) == ["Lúc mất kết nối"]

    await _feed_listening(client)  # it reconnects by itself
    assert await _unit_names(client, tenant) == ["Lúc mất kết nối"]
    assert len(_runtime(client).unit_lists) == 1


@pytest.mark.sqlite
async def test_only_postgresql_caches(client: Client, tenant: TenantHandle, backend: str) -> None:
    """The embedded default (SQLite) has no change feed, so nothing may be kept."""
    assert (await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)).is_success
    assert (await client.post("/units", json=HQ_DECLARATION, headers=tenant.headers)).is_success
    if backend == "postgres":
        await _feed_listening(client)
    assert await _unit_names(client, tenant) == [HQ_DECLARATION["name"]]
    assert await _unit_names(client, tenant) == [HQ_DECLARATION["name"]]
    caching = backend == "postgres"
    assert (_runtime(client).changes is not None) is caching
    assert len(_runtime(client).unit_lists) == int(caching)
    assert len(_runtime(client).principals) == int(caching)
