"""The authenticated caller as the rest of the platform sees it."""

from __future__ import annotations

import uuid

import msgspec

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.tenancy.tables import Role


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """A user acting in one tenant with the roles their membership gives."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    roles: frozenset[Role]
    credential_id: uuid.UUID
    """The API token (or, with SSO, the session) the request was proven with."""
    via: str = "token"
    """How the caller proved who they are: `token` (an API token) or `session` (a browser
    signed in with single sign-on)."""
    operator_id: uuid.UUID | None = None
    """Set when a platform operator acts in the tenant through a support grant."""

    @property
    def scope(self) -> TenantScope:
        """Queries restricted to this principal's tenant."""
        return TenantScope(self.tenant_id)

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles) or Role.ADMIN in self.roles


class OperatorPrincipal(msgspec.Struct, frozen=True, kw_only=True):
    """A platform operator acting as such: may use the operator routes, no tenant's data."""

    operator_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    credential_id: uuid.UUID
