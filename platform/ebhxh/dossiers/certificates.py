"""The certificate VSS has for a unit registered with us, and whether the unit's signature
now uses another one (a renewed or replaced token): then a change-of-registration dossier
records the new certificate with VSS.
"""

from __future__ import annotations

import uuid
from typing import Any

from ebhxh.db.tenant_scope import TenantScope
from ebhxh.dossiers.states import DossierState
from ebhxh.dossiers.tables import Dossier
from ebhxh.gateway.contract import DossierKind
from ebhxh.signing.certificates import summarise
from ebhxh.signing.tables import SignatureSetup
from ebhxh.signing.validation import signer_certificate

CERTIFICATE_CHANGE = "Chứng thư số (số sê-ri)"
"""The change-of-registration form's row for a new certificate."""


async def registered_certificate(scope: TenantScope, unit_id: uuid.UUID) -> bytes | None:
    """The signer of the unit's newest active service registration or accepted change:
    the certificate VSS registered for the unit with us; None before it is registered.
    """
    registered = (Dossier.kind == DossierKind.SERVICE_REGISTRATION.value) & (
        Dossier.state == DossierState.ACTIVE.value
    )
    changed = (Dossier.kind == DossierKind.CHANGE.value) & (
        Dossier.state == DossierState.ACCEPTED.value
    )
    row: dict[str, Any] | None = (
        await scope.select(Dossier, Dossier.signing_request.signed_pdf.as_alias("pdf"))
        .where(Dossier.unit == unit_id, registered | changed)
        .order_by(Dossier.updated_at, ascending=False)
        .first()
    )
    if row is None or row["pdf"] is None:
        return None
    return signer_certificate(bytes(row["pdf"]))


async def certificate_changes(
    scope: TenantScope, unit_id: uuid.UUID
) -> tuple[tuple[str, str, str], ...]:
    """The form's change rows when the unit's signature uses a certificate other than the
    registered one; empty when there is nothing to change.
    """
    setup = (
        await scope.select(SignatureSetup, SignatureSetup.certificate)
        .where(SignatureSetup.unit == unit_id)
        .first()
    )
    registered = await registered_certificate(scope, unit_id)
    if setup is None or registered is None or bytes(setup["certificate"]) == registered:
        return ()
    old, new = summarise(registered), summarise(bytes(setup["certificate"]))
    return ((CERTIFICATE_CHANGE, old.serial, new.serial),)
