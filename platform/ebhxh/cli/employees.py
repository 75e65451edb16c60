"""`ebhxh employees sync <unit> --tenant <slug>`: sync a unit's employees from VSS here, in
this process, with a progress bar.

The sync is the same record the API starts: if a worker holds it already (or takes it
while this command waits), the command follows its progress instead of running it twice;
if this command is stopped, a worker resumes the sync from its last page.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import click

from ebhxh.cli.common import load_settings, run
from ebhxh.db.engine import close_engine, open_engine
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.employees.jobs import VSS_SILENT
from ebhxh.employees.schemas import EmployeeSyncOut
from ebhxh.employees.service import EmployeeService
from ebhxh.employees.sync import Progress
from ebhxh.employees.tables import SyncState
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import render
from ebhxh.gateway.contract import GatewayUnavailable
from ebhxh.runtime import Runtime
from ebhxh.settings import Settings
from ebhxh.tenancy.tables import Tenant

FOLLOW_INTERVAL = 0.5


class _Bar:
    """A click progress bar made once VSS has said how many employees there are."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._shown = 0

    def update(self, progress: Progress) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(progress.total, 1),
                label=self.label,
                show_pos=True,
                show_percent=True,
                width=30,
            )
            self._bar.__enter__()
        self._bar.length = max(progress.total, progress.processed, 1)
        self._bar.update(progress.processed - self._shown)
        self._shown = progress.processed

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.group()
def employees() -> None:
    """Employees of the tenants' units, synced from VSS."""


@employees.command("sync")
@click.argument("unit")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's slug (or id).")
def sync(unit: str, tenant_ref: str) -> None:
    """Sync UNIT's insured employees from VSS (UNIT: the unit's id or unit code)."""
    settings = load_settings()
    try:
        result = run(_sync(settings, tenant_ref, unit))
    except ProblemError as problem:
        raise click.ClickException(
            f"{render(problem.code, 'vi', problem.params)}\n"
            f"{render(problem.code, 'en', problem.params)}"
        ) from problem
    counts = result.counts
    click.echo(
        f"Sync {result.id} {result.state}: created {counts.created}, updated {counts.updated}, "
        f"unchanged {counts.unchanged}, no longer at VSS {counts.no_longer_at_vss}."
    )
    if result.state is not SyncState.DONE:
        raise click.ClickException(result.error or "the sync did not finish")


async def _tenant_id(reference: str) -> uuid.UUID:
    try:
        condition = Tenant.id == uuid.UUID(reference)
    except ValueError:
        condition = Tenant.slug == reference
    row = await Tenant.select(Tenant.id).where(condition).first()
    if row is None:
        raise click.ClickException(f"No tenant {reference!r}.")
    return uuid.UUID(str(row["id"]))


async def _sync(settings: Settings, tenant_ref: str, unit: str) -> EmployeeSyncOut:
    runtime = Runtime(settings)
    await open_engine(runtime.engine)
    try:
        scope = TenantScope(await _tenant_id(tenant_ref))
        service = EmployeeService(scope)
        sync_id = await _start_or_join(service, await service.resolve_unit(unit))
        bar = _Bar(f"Đồng bộ lao động / syncing employees {unit.upper()}")
        try:
            runner = runtime.employee_syncs(scope)
            held = await runner.claim(sync_id)
            if held is not None:
                try:
                    await runner.run(sync_id, held, bar.update)
                except GatewayUnavailable as exc:
                    await runner.postpone(sync_id, held, runtime.clock.now(), VSS_SILENT)
                    raise click.ClickException(
                        "VSS did not answer; a worker resumes the sync from its last page."
                    ) from exc
            return await _follow(service, sync_id, bar)
        finally:
            bar.finish()
    finally:
        await runtime.aclose()
        await close_engine(runtime.engine)


async def _start_or_join(service: EmployeeService, unit_id: uuid.UUID) -> uuid.UUID:
    """A new sync of the unit, or the one already running (started by the API or a worker)."""
    try:
        return (await service.start(unit_id, "cli")).id
    except ProblemError as problem:
        if problem.code is not ErrorCode.EMPLOYEE_SYNC_RUNNING:
            raise
        click.echo("Một lượt đồng bộ đang chạy: theo dõi lượt đó / a sync is running: following it")
        return uuid.UUID(str(problem.params["sync_id"]))


async def _follow(service: EmployeeService, sync_id: uuid.UUID, bar: _Bar) -> EmployeeSyncOut:
    """Show the progress of a sync until it ends (a worker may be running it)."""
    while True:
        state = await service.get_sync(sync_id)
        if state.total is not None:
            bar.update(
                Progress(
                    pages=state.pages,
                    processed=state.processed,
                    total=state.total,
                    done=state.state is not SyncState.RUNNING,
                )
            )
        if state.state is not SyncState.RUNNING:
            return state
        await asyncio.sleep(FOLLOW_INTERVAL)
