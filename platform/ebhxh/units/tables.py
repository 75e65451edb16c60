"""Piccolo table of insurance units declared by tenants."""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from ebhxh.organisation.tables import OrgNode
from ebhxh.tenancy.tables import Tenant


class InsuranceUnit(Table, tablename="insurance_unit"):
    """A social-insurance unit: a legal entity of a tenant, in one province.

    `unit_code` is empty for a first-time participant until the office issues one.
    """

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    org_node = ForeignKey(OrgNode, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=255)
    tax_code = Varchar(length=14)
    province_code = Varchar(length=2)
    route = Varchar(length=16)
    unit_code = Varchar(length=7, null=True, default=None)
    first_time_participant = Boolean()
    # Particulars the forms print; empty until the tenant gives them.
    registered_address = Varchar(length=500)
    contact_address = Varchar(length=500)
    phone = Varchar(length=20)
    email = Varchar(length=320)
    unit_type = Varchar(length=100)
    licence_number = Varchar(length=50)
    licence_date = Varchar(length=10)
    licence_issuer = Varchar(length=255)
    contribution_frequency = Varchar(length=50)
    created_at = Timestamptz(default=TimestamptzNow())
