"""Who the database work of the current task runs as, for PostgreSQL row-level security.

Every tenant table refuses rows outside the tenant bound to the transaction (see
`ebhxh.db.row_security`). The binding lives in a context variable: a `TenantScope` sets it
to its tenant while one of its queries or its transaction runs, and the few system modules
that work across tenants (listed in tests/test_tenant_isolation.py) set it to `SYSTEM` with
`system_access()`. With no binding a query sees no tenant row at all.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class System(enum.Enum):
    """The binding of system work: every tenant's rows, on purpose."""

    SYSTEM = "system"


SYSTEM = System.SYSTEM

Binding = uuid.UUID | System | None
"""A tenant, the system, or nothing (sees no tenant row)."""

_BINDING: ContextVar[Binding] = ContextVar("ebhxh_db_binding", default=None)


class BindingMismatch(RuntimeError):
    """Work bound to one tenant (or the system) reached a transaction bound otherwise."""


def current_binding() -> Binding:
    return _BINDING.get()


@contextmanager
def bound_to(binding: Binding) -> Iterator[None]:
    """Run the enclosed database work bound to `binding` (a tenant id or `SYSTEM`)."""
    token = _BINDING.set(binding)
    try:
        yield
    finally:
        _BINDING.reset(token)


@contextmanager
def system_access() -> Iterator[None]:
    """Explicit cross-tenant access for the listed system modules (token resolution, tenant
    bootstrap, the outbox sweeps...). A `TenantScope` query inside still runs bound to its
    own tenant only.
    """
    with bound_to(SYSTEM):
        yield


def begin_statement(binding: Binding) -> str:
    """`BEGIN` plus the settings the row-security policies read, as one round trip.

    The tenant id is a validated `uuid.UUID`, so its text form is safe to inline (the
    simple-query protocol that carries two statements takes no bind parameters).
    """
    if binding is None:
        return "BEGIN"
    if binding is SYSTEM:
        return "BEGIN; SELECT set_config('app.system', 'on', true)"
    if not isinstance(binding, uuid.UUID):
        raise TypeError("a tenant binding is a uuid.UUID")
    return f"BEGIN; SELECT set_config('app.tenant_id', '{binding}', true)"
