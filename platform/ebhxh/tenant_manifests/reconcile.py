"""`ebhxh tenants apply`: load the folder, plan every tenant, print the plan, apply it.

Each manifest stands alone: a broken one is refused whole and the others still apply; a
tenant whose changes the database refuses (say, an email domain another tenant holds) is
rolled back and reported. Tenants without a manifest are listed and left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import msgspec
import structlog

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.errors.messages import render
from ebhxh.plugins.manager import load_plugins
from ebhxh.secrets.box import SecretBox
from ebhxh.settings import Settings
from ebhxh.tenancy.tables import Tenant
from ebhxh.tenant_manifests.apply import apply_plan
from ebhxh.tenant_manifests.loader import ManifestError, load_folder
from ebhxh.tenant_manifests.plan import Action, TenantPlan, plan_tenant

log = structlog.get_logger(__name__)
MARKS = {Action.CREATE: "+", Action.UPDATE: "~", Action.UNCHANGED: "="}


class Report(msgspec.Struct, kw_only=True):
    """What the command found (the plan) and, once applied, what the database refused."""

    plans: list[TenantPlan]
    refused: list[ManifestError]
    unmanaged: list[str]
    failed: list[ManifestError] = msgspec.field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed

    def count(self, action: Action) -> int:
        failed = {error.file for error in self.failed}
        return sum(1 for p in self.plans if p.action is action and p.desired.file not in failed)


async def reconcile_folder(
    folder: Path, settings: Settings, *, dry_run: bool, echo: Callable[[str], None]
) -> Report:
    """The whole command: plan, print the plan, apply unless `dry_run`, print the outcome.
    Needs the tables bound to the settings' database.
    """
    box = SecretBox.from_settings(settings)
    installed = {plugin.distribution for plugin in load_plugins(settings.plugins_allow).loaded}
    report = await prepare(folder, box=box, installed=installed, environ=os.environ)
    for line in describe(report):
        echo(line)
    if not dry_run:
        await apply_report(report, box)
    for line in summary(report):
        echo(line)
    return report


async def prepare(
    folder: Path, *, box: SecretBox, installed: Iterable[str], environ: Mapping[str, str]
) -> Report:
    """Load and check the manifests of `folder` and plan each tenant against the database."""
    desired, refused = load_folder(folder, installed=installed, environ=environ)
    plans = []
    for tenant in desired:
        try:
            plans.append(await plan_tenant(tenant, box))
        except ProblemError as exc:  # e.g. its stored secret opens with none of the keys
            message = render(exc.code, "en", exc.params)
            refused.append(ManifestError(tenant.file, exc.field or "(tenant)", message))
    declared = {tenant.slug for tenant in desired}
    slugs = await Tenant.select(Tenant.slug).order_by(Tenant.slug)
    unmanaged = [row["slug"] for row in slugs if row["slug"] not in declared]
    return Report(plans=plans, refused=refused, unmanaged=unmanaged)


async def apply_report(report: Report, box: SecretBox) -> None:
    """Apply every plan of `report`, tenant by tenant (see `apply_plan`).

    A plan refused because another tenant holds one of its email domains waits while the
    others apply, then is tried again: a domain moving from one manifest to another moves
    in one run, whichever file comes first. It fails only when a pass frees nothing.
    """
    pending = list(report.plans)
    while pending:
        waiting: list[tuple[TenantPlan, ProblemError]] = []
        for plan in pending:
            try:
                await apply_plan(plan, box)
            except ProblemError as exc:
                if exc.code is ErrorCode.SSO_EMAIL_DOMAIN_TAKEN:
                    waiting.append((plan, exc))  # rolled back whole, so safe to try again
                else:
                    _failed(report, plan, exc)
            except Exception as exc:  # one tenant's failure must not stop the others (or serve)
                log.exception("tenant_manifest_failed", file=plan.desired.file)
                _failed(report, plan, exc)
        if len(waiting) == len(pending):
            for plan, refusal in waiting:
                _failed(report, plan, refusal)
            break
        pending = [plan for plan, _ in waiting]
    report.applied = True


def _failed(report: Report, plan: TenantPlan, exc: Exception) -> None:
    if isinstance(exc, ProblemError):
        message = render(exc.code, "en", exc.params)
        error = ManifestError(plan.desired.file, exc.field or "(tenant)", message)
    else:
        error = ManifestError(plan.desired.file, "(tenant)", f"not applied: {type(exc).__name__}")
    report.failed.append(error)


def describe(report: Report) -> list[str]:
    """The plan as lines for the terminal: a diff per tenant, the refusals, the others."""
    lines = []
    for plan in report.plans:
        mark = MARKS[plan.action]
        lines.append(f"{mark} {plan.desired.slug}  ({plan.desired.file})  {plan.action.value}")
        for change in plan.changes:
            if change.old is None:
                lines.append(f"    + {change.field}: {change.new}")
            elif change.new is None:
                lines.append(f"    - {change.field}: {change.old}")
            else:
                lines.append(f"    ~ {change.field}: {change.old} -> {change.new}")
    lines.extend(f"! {error}  (refused: nothing of it applied)" for error in report.refused)
    if report.unmanaged:
        others = ", ".join(report.unmanaged)
        lines.append(f"Not declared by any manifest (left as they are): {others}")
    return lines


def summary(report: Report) -> list[str]:
    """The failures while applying, then the counts."""
    lines = [f"! {error}  (rolled back)" for error in report.failed]
    counts = (
        f"{report.count(Action.CREATE)} created, {report.count(Action.UPDATE)} updated, "
        f"{report.count(Action.UNCHANGED)} unchanged, "
        f"{len(report.refused) + len(report.failed)} refused"
    )
    lines.append(
        f"Applied: {counts}." if report.applied else f"Dry run, nothing applied: {counts}."
    )
    return lines
