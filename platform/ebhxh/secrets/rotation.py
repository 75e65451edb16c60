"""Re-encrypt every stored secret under the first key of `EBHXH_SECRET_KEYS`.

Rotation: put a new key first (the old ones stay, so everything still decrypts), run
`ebhxh secrets rotate`, then drop the old key. Each tenant is rotated in its own scope and
transaction; a row that no configured key opens stops the run before anything of that
tenant is written, so a wrong key list never half-rotates a tenant.
"""

from __future__ import annotations

import msgspec

from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.secrets.box import SecretBox
from ebhxh.signing.tables import SignatureSetup
from ebhxh.tenancy.tables import Tenant


class RotationReport(msgspec.Struct, kw_only=True):
    """How many tenants were visited and secrets re-encrypted."""

    tenants: int
    secrets: int


async def rotate_secrets(box: SecretBox) -> RotationReport:
    """Re-encrypt every signer secret under `box`'s first key."""
    tenant_ids = [row["id"] for row in await Tenant.select(Tenant.id)]
    rotated = 0
    for tenant_id in tenant_ids:
        rotated += await _rotate_tenant(TenantScope(as_uuid(tenant_id)), box)
    return RotationReport(tenants=len(tenant_ids), secrets=rotated)


async def _rotate_tenant(scope: TenantScope, box: SecretBox) -> int:
    async with scope.transaction():
        rows = await scope.select(
            SignatureSetup, SignatureSetup.id, SignatureSetup.secrets_ciphertext
        )
        rotated = 0
        for row in rows:
            old = bytes(row["secrets_ciphertext"])
            # Only if unchanged since read: a setup saved meanwhile is already under the
            # first key, and must not be overwritten with the old secret re-encrypted.
            written = (
                await scope.update(
                    SignatureSetup, {SignatureSetup.secrets_ciphertext: box.rotate(old)}
                )
                .where(SignatureSetup.id == row["id"], SignatureSetup.secrets_ciphertext == old)
                .returning(SignatureSetup.id)
            )
            rotated += len(written)
    return rotated
