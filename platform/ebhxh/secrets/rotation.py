"""Re-encrypt every stored secret under the first key of `EBHXH_SECRET_KEYS`.

Rotation: put a new key first (the old ones stay, so everything still decrypts), run
`ebhxh secrets rotate`, then drop the old key. Each tenant is rotated in its own scope and
transaction; a row that no configured key opens stops the run before anything of that
tenant is written, so a wrong key list never half-rotates a tenant.
"""

from __future__ import annotations

import msgspec
from piccolo.columns import Bytea
from piccolo.table import Table

from ebhxh.db.ids import as_uuid
from ebhxh.db.tenant_scope import TenantScope
from ebhxh.secrets.box import SecretBox
from ebhxh.signing.tables import SignatureSetup
from ebhxh.sso.tables import IdentityProvider
from ebhxh.tenancy.tables import Tenant


class RotationReport(msgspec.Struct, kw_only=True):
    """How many tenants were visited and secrets re-encrypted."""

    tenants: int
    secrets: int


ENCRYPTED_COLUMNS: tuple[tuple[type[Table], Bytea], ...] = (
    (SignatureSetup, SignatureSetup.secrets_ciphertext),
    (IdentityProvider, IdentityProvider.client_secret_ciphertext),
)
"""Every column holding a secret under the SecretBox (a new one must be added here)."""


async def rotate_secrets(box: SecretBox) -> RotationReport:
    """Re-encrypt every stored secret (signer secrets, IdP client secrets) under `box`'s
    first key.
    """
    tenant_ids = [row["id"] for row in await Tenant.select(Tenant.id)]
    rotated = 0
    for tenant_id in tenant_ids:
        rotated += await _rotate_tenant(TenantScope(as_uuid(tenant_id)), box)
    return RotationReport(tenants=len(tenant_ids), secrets=rotated)


async def _rotate_tenant(scope: TenantScope, box: SecretBox) -> int:
    rotated = 0
    async with scope.transaction():
        for table, column in ENCRYPTED_COLUMNS:
            id_column = table._meta.primary_key
            for row in await scope.select(table, id_column, column):
                old = bytes(row[column._meta.name])
                # Only if unchanged since read: a row saved meanwhile is already under the
                # first key, and must not be overwritten with the old secret re-encrypted.
                written = (
                    await scope.update(table, {column: box.rotate(old)})
                    .where(id_column == row[id_column._meta.name], column == old)
                    .returning(id_column)
                )
                rotated += len(written)
    return rotated
