"""Every hook a plugin can implement: the contract between the platform and its plugins.

Three families (province rules, signer types, competing providers), the lifecycle
events, and the server-side code a plugin runs (route handlers, worker jobs). Each spec
says what it receives, what it returns, and how results combine: *collect-all* hooks
return a list with one result per implementing plugin (the platform flattens it);
*notification* hooks return nothing. A test fails when a hook here has no docstring, no
test, or no section in `docs/plugins.md`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pluggy
from litestar.types import ControllerRouterHandler

from ebhxh.events.model import LifecycleEvent
from ebhxh.plugins import PROJECT_NAME
from ebhxh.provinces.model import Province, ProvinceRule, Route, UnitCheck
from ebhxh.signing.contract import SignerType
from ebhxh.switching.contract import CompetingProvider
from ebhxh.worker.contract import WorkerJobs

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def ebhxh_province_rules() -> Sequence[ProvinceRule]:
    """Claim provinces and give each the route a first-time unit there takes.

    Receives nothing. Returns the plugin's `ProvinceRule`s (collect-all): the route, any
    dated change of route, the office, and the forms of each route. Called once when the
    platform starts. A province claimed by two distributions stops the start with an error
    naming both (a `fallback` claim yields to a specific one instead).
    """
    raise NotImplementedError


@hookspec
def ebhxh_check_unit(
    province: Province, route: Route, particulars: Mapping[str, str]
) -> Sequence[UnitCheck]:
    """Check a unit against a province's own requirements.

    Receives the unit's province, its route, and its particulars (the `Particulars` fields,
    "" when not given). Returns a `UnitCheck` per requirement not met (collect-all; empty
    when all is well). Called when a unit is declared, when its particulars change, and
    before a paper pack is printed; any check refuses the change with a 422 naming the field.
    """
    raise NotImplementedError


@hookspec
def ebhxh_signer_types() -> Sequence[SignerType]:
    """Provide signer types (HSM, USB-token bridge, remote signing service).

    Receives nothing. Returns `SignerType` objects (collect-all), each with a unique `name`.
    Called once when the platform starts; two signer types with one name stop the start.
    """
    raise NotImplementedError


@hookspec
def ebhxh_competing_providers() -> Sequence[CompetingProvider]:
    """Describe competing e-BHXH providers and how a unit stops their service.

    Receives nothing. Returns `CompetingProvider` descriptors (collect-all). Called once when
    the platform starts; the platform matches the provider name VSS reports for a unit
    against each descriptor's `names`, falling back to the one marked `fallback`.
    """
    raise NotImplementedError


@hookspec
def ebhxh_lifecycle_event(event: LifecycleEvent) -> None:
    """Be told that something happened to a tenant's data (a unit declared, a tree synced).

    Receives one event Struct from `ebhxh.events.model`. Returns nothing (notification).
    Called after the change is committed; an exception in a plugin is logged and neither
    undoes nor blocks the change.
    """


@hookspec
def ebhxh_route_handlers() -> Sequence[ControllerRouterHandler]:
    """Add HTTP endpoints to the platform's API (a signer's callback, a bridge's long-poll).

    Receives nothing. Returns Litestar controllers or route handlers (collect-all). Called
    once when the app is built. They sit behind the platform's bearer-token middleware (the
    `Principal` is in `request.user`; opt out with `opt={"exclude_from_auth": True}` and
    authenticate yourself); `request.app.state.runtime` is the `Runtime`. Prefix paths with
    the plugin's name and give every operation an explicit `operation_id`.
    """
    raise NotImplementedError


@hookspec
def ebhxh_worker_jobs() -> Sequence[WorkerJobs]:
    """Add job functions and crons to the arq worker (a signer polling its service).

    Receives nothing. Returns `WorkerJobs` (collect-all). Called once when a worker is built.
    Jobs receive arq's `ctx` with `runtime`, `tenant_scope`, `enqueue`, `clock` and `redis`
    (see `ebhxh.worker.contract`); like every job they may run twice, so make them
    idempotent.
    """
    raise NotImplementedError
