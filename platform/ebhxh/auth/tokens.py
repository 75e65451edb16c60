"""API tokens: minted once, shown once, stored as SHA-256, resolved to a principal.

A token is `ebhxh_` + 32 random bytes (base64url). Its hash alone is stored, so a database
leak does not leak usable tokens; a salted slow hash is unnecessary for random 256-bit
secrets. Resolution is the one place that reads tokens across tenants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec

from ebhxh.auth.principal import Principal
from ebhxh.db.binding import system_access
from ebhxh.db.bookkeeping import commit_without_waiting
from ebhxh.db.ids import as_aware, as_uuid
from ebhxh.db.read_cache import ReadCache
from ebhxh.tenancy.tables import ApiToken, Membership, Role

TOKEN_PREFIX = "ebhxh_"  # noqa: S105 - a public marker, not a secret
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


class MintedToken(msgspec.Struct, frozen=True):
    """A new token: `plain` is shown to its owner once and never stored."""

    plain: str
    token_hash: str
    prefix: str


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def mint_token(prefix: str = TOKEN_PREFIX) -> MintedToken:
    """A new random credential starting with `prefix` (which says what kind it is)."""
    plain = prefix + secrets.token_urlsafe(32)
    return MintedToken(plain=plain, token_hash=hash_token(plain), prefix=plain[: len(prefix) + 6])


async def resolve_token(
    plain: str, now: dt.datetime, cache: ReadCache[str, Principal] | None = None
) -> Principal | None:
    """The principal a token proves, or None for an unknown or revoked one.

    Before the token is resolved there is no tenant: system access, in one transaction. A
    principal found is kept in `cache` (by the token's hash) until its tenant's tokens or
    memberships change; unknown tokens are not kept, so a new one works at once.
    """
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token_hash = hash_token(plain)
    if cache is not None and (cached := cache.get(token_hash)) is not None:
        return cached
    mark = cache.mark() if cache is not None else None
    with system_access():
        async with ApiToken._meta.db.transaction():
            principal = await _resolve(token_hash, now)
    if cache is not None and principal is not None:
        cache.put(token_hash, principal.tenant_id, mark, principal)
    return principal


async def _resolve(token_hash: str, now: dt.datetime) -> Principal | None:
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.tenant, ApiToken.user, ApiToken.last_used_at)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    roles = await Membership.select(Membership.role).where(
        Membership.tenant == row["tenant"], Membership.user == row["user"]
    )
    if not roles:
        return None
    last_used = row["last_used_at"]
    if last_used is None or now - as_aware(last_used) > LAST_USED_RESOLUTION:
        await commit_without_waiting(ApiToken)
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return Principal(
        user_id=as_uuid(row["user"]),
        tenant_id=as_uuid(row["tenant"]),
        roles=frozenset(Role(r["role"]) for r in roles),
        credential_id=as_uuid(row["id"]),
    )
