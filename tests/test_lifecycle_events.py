"""Lifecycle events reach plugins after the change commits; a failing plugin changes nothing."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.events.model import LifecycleEvent, OrganisationSynced, UnitDeclared
from ebhxh.plugins import hookimpl
from ebhxh.plugins.manager import load_plugins
from ebhxh.settings import Settings
from tests.conftest import HANOI_TREE, HQ_DECLARATION, TenantHandle, in_app


class Recorder:
    def __init__(self) -> None:
        self.events: list[LifecycleEvent] = []

    @hookimpl
    def ebhxh_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.events.append(event)


@hookimpl
def _explode(event: LifecycleEvent) -> None:
    raise RuntimeError("a partner's plugin is broken")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(
    settings: Settings, recorder: Recorder
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    broken = types.SimpleNamespace(ebhxh_lifecycle_event=_explode)
    plugins = load_plugins(extra=[("broken", broken), ("recorder", recorder)])
    app = create_app(settings, plugins=plugins, configure_logs=False)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def test_ebhxh_lifecycle_event_is_announced_after_commit(
    client: AsyncTestClient[Litestar], tenant: TenantHandle, recorder: Recorder
) -> None:
    pushed = await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    assert pushed.status_code == 200
    again = await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    assert again.status_code == 200
    declared = await client.post(
        "/units",
        json=HQ_DECLARATION,
        headers=tenant.headers,
    )
    assert declared.status_code == 201, declared.text
    assert recorder.events == [
        OrganisationSynced(tenant_id=str(tenant.id), created=4, updated=0, removed=0),
        UnitDeclared(
            tenant_id=str(tenant.id),
            unit_id=declared.json()["id"],
            province_code="01",
            route="electronic",
        ),
    ]


async def test_a_refused_change_announces_nothing(
    client: AsyncTestClient[Litestar], tenant: TenantHandle, recorder: Recorder
) -> None:
    refused = await client.post(
        "/units",
        json=HQ_DECLARATION,
        headers=tenant.headers,
    )
    assert refused.status_code == 422
    assert recorder.events == []
    assert in_app(client, _unit_count, tenant) == 0


async def _unit_count(tenant: TenantHandle) -> int:
    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.units.tables import InsuranceUnit

    return int(await TenantScope(tenant.id).count(InsuranceUnit))
