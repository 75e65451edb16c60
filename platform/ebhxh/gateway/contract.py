"""What the platform asks of VSS, and what VSS answers (`VssGateway`)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Protocol

import msgspec

from ebhxh.identifiers import (
    CITIZEN_ID_PATTERN,
    SOCIAL_INSURANCE_NUMBER_PATTERN,
    is_citizen_id,
    is_social_insurance_number,
)


class DossierKind(StrEnum):
    """The dossiers the platform submits to VSS."""

    REGISTER_UNIT_CODE = "register-unit-code"
    """A first-time unit asks for a unit code (electronic provinces)."""
    CHANGE = "change"
    """Change of registration: records the newly issued unit code (or certificate, email)."""
    SERVICE_REGISTRATION = "service-registration"
    """A unit with a code registers for the electronic service with us as provider."""
    STOP_SERVICE = "stop-service"
    """A unit stops its electronic service with another provider (before switching to us)."""


class VssStatus(StrEnum):
    """A dossier's status as VSS reports it."""

    AWAITING_ACTIVATION = "awaiting_activation"
    ACTIVATION_LOCKED = "activation_locked"
    WITH_OFFICER = "with_officer"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    ACTIVE = "active"


class Submission(msgspec.Struct, frozen=True, kw_only=True):
    """A signed dossier handed to VSS."""

    kind: DossierKind
    tax_code: str
    unit_name: str
    email: str
    provider: str
    document: bytes
    unit_code: str | None = None


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """VSS's acknowledgement of a submission and its status."""

    receipt_id: str
    status: VssStatus
    activation_email: str | None = None
    code_expires_at: str | None = None
    unit_code: str | None = None
    reason: str | None = None


class UnitRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What VSS's registry knows of a tax code."""

    tax_code: str
    unit_code: str | None
    provider: str | None


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class SalaryKind(StrEnum):
    """How a salary is stated: an amount in VND, or a coefficient of the base salary (the
    public sector's scale) with its allowances.
    """

    AMOUNT = "amount"
    COEFFICIENT = "coefficient"


class Allowance(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An allowance on top of the salary: a coefficient, a percentage or an amount."""

    name: str
    coefficient: str | None = None
    """A decimal written as text ("0.30"), never a float."""
    percent: int | None = None
    amount_vnd: int | None = None


SocialInsuranceNumber = Annotated[str, msgspec.Meta(pattern=SOCIAL_INSURANCE_NUMBER_PATTERN)]
CitizenId = Annotated[str, msgspec.Meta(pattern=CITIZEN_ID_PATTERN)]


class InsuredEmployee(msgspec.Struct, frozen=True, kw_only=True):
    """One insured employee of a unit as VSS lists it."""

    social_insurance_number: SocialInsuranceNumber
    full_name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    date_of_birth: dt.date
    gender: Gender
    citizen_id: CitizenId
    position: Annotated[str, msgspec.Meta(max_length=255)]
    salary_kind: SalaryKind
    salary_amount_vnd: int | None = None
    salary_coefficient: str | None = None
    allowances: tuple[Allowance, ...] = ()
    contract_type: str
    contract_start: dt.date
    status: str

    def __post_init__(self) -> None:
        # The patterns' `$` lets a final newline through (msgspec uses re.search).
        if not is_social_insurance_number(self.social_insurance_number):
            raise ValueError("social_insurance_number: 10 digits")
        if not is_citizen_id(self.citizen_id):
            raise ValueError("citizen_id: 12 digits")


class EmployeePage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a unit's insured employees, in ascending social-insurance number.

    `next_cursor` is opaque: hand it back for the next page; None on the last page. The
    order is part of the contract (pages never overlap and never go back), which lets the
    platform find who is no longer listed page by page.
    """

    employees: tuple[InsuredEmployee, ...]
    next_cursor: str | None
    total: int


class GatewayRefused(Exception):
    """VSS answered, and said no (invalid signature, wrong code, ...): not worth retrying."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class GatewayUnavailable(Exception):
    """VSS did not answer usefully after the retries; try again later."""


class VssGateway(Protocol):
    """The operations the platform performs at VSS."""

    async def submit(self, submission: Submission, idempotency_key: str) -> Receipt:
        """Submit a dossier; the same key twice is one dossier with the same receipt."""
        ...

    async def status(self, receipt_id: str) -> Receipt:
        """The dossier's current status."""
        ...

    async def activate(self, receipt_id: str, code: str) -> Receipt:
        """Activate with the code VSS emailed."""
        ...

    async def request_new_code(self, receipt_id: str, email: str | None) -> Receipt:
        """A new activation code, optionally to a corrected email address."""
        ...

    async def lookup_unit(self, tax_code: str) -> UnitRecord:
        """The unit code and provider registered for a tax code."""
        ...

    async def employees_page(self, unit_code: str, cursor: str | None, limit: int) -> EmployeePage:
        """One page (at most `limit`) of the unit's insured employees, from `cursor`."""
        ...
