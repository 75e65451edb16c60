"""Every Piccolo table of the platform, in dependency order, and which are tenant data."""

from __future__ import annotations

from piccolo.table import Table

from ebhxh.devices.tables import Device, DevicePairing
from ebhxh.dossiers.tables import Dossier, DossierEvent, OutboxJob
from ebhxh.employees.tables import Employee, EmployeeSync
from ebhxh.operators.tables import OperatorAction, PlatformOperator, SupportGrant
from ebhxh.organisation.tables import OrgNode
from ebhxh.paper_route.tables import PaperDossier
from ebhxh.signing.tables import SignatureSetup, SigningRequest
from ebhxh.sso.tables import IdentityProvider, IdentityProviderDomain, SsoIdentity, SsoSession
from ebhxh.switching.tables import ProviderSwitch, ProviderSwitchEvent
from ebhxh.tenancy.tables import ApiToken, Membership, Tenant, User
from ebhxh.units.tables import InsuranceUnit

ALL_TABLES: tuple[type[Table], ...] = (
    Tenant,
    User,
    Membership,
    ApiToken,
    OrgNode,
    InsuranceUnit,
    SignatureSetup,
    SigningRequest,
    Dossier,
    DossierEvent,
    OutboxJob,
    ProviderSwitch,
    ProviderSwitchEvent,
    PaperDossier,
    EmployeeSync,
    Employee,
    DevicePairing,
    Device,
    IdentityProvider,
    IdentityProviderDomain,
    SsoIdentity,
    SsoSession,
    PlatformOperator,
    SupportGrant,
    OperatorAction,
)

GLOBAL_TABLES: tuple[type[Table], ...] = (
    Tenant,
    User,
    PlatformOperator,
    SupportGrant,
    OperatorAction,
)
"""Tables that are not tenant data (the platform's own: tenants, people, operators and
their audit trail); every other table has a `tenant` foreign key."""

TENANT_TABLES: tuple[type[Table], ...] = tuple(t for t in ALL_TABLES if t not in GLOBAL_TABLES)
