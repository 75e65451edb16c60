"""What a declared unit's forms are filled from: its row, its province's rule, the day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ebhxh.documents.forms import (
    CertificateParticulars,
    FormKind,
    FormRequest,
    UnitParticulars,
)
from ebhxh.plugins.catalogue import PluginCatalogue
from ebhxh.signing.certificates import summarise


def form_request(
    unit: dict[str, Any],
    form: FormKind,
    *,
    catalogue: PluginCatalogue,
    drawn_up_on: dt.date,
    certificate: bytes | None = None,
    previous_provider: str = "",
    reason: str = "",
    changes: tuple[tuple[str, str, str], ...] = (),
) -> FormRequest:
    """The request to render `form` for `unit` (a row of `InsuranceUnit`).

    With a certificate, the form names it (04/ĐK-IVAN); a stop of service names the old
    provider and the unit's reason.
    """
    resolved = catalogue.provinces.resolve(unit["province_code"])
    province = resolved.province if resolved else None
    particulars = UnitParticulars(
        name=unit["name"],
        tax_code=unit["tax_code"],
        unit_code=unit["unit_code"] or "",
        registered_address=unit["registered_address"],
        contact_address=unit["contact_address"],
        unit_type=unit["unit_type"],
        phone=unit["phone"],
        email=unit["email"],
        licence_number=unit["licence_number"],
        licence_date=unit["licence_date"],
        licence_issuer=unit["licence_issuer"],
        contribution_frequency=unit["contribution_frequency"],
        province_name=province.name if province else "",
        office_name=resolved.rule.office_of.name if resolved else "",
    )
    summary = summarise(certificate) if certificate else None
    return FormRequest(
        kind=form,
        unit=particulars,
        drawn_up_on=drawn_up_on,
        place=province.name if province else "",
        certificate=CertificateParticulars(
            serial=summary.serial,
            subject=summary.subject,
            not_before=summary.not_before,
            not_after=summary.not_after,
        )
        if summary
        else None,
        previous_provider=previous_provider,
        reason=reason,
        changes=changes,
    )
