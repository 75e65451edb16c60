"""ID tokens that must be refused, from a provider we control: the relying party validates
signature, issuer, audience, expiry and nonce itself, whatever the provider advertises.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.sso.browser import error_code
from tests.sso.rogue_flow import attempt, configure_rogue
from tests.sso.rogue_idp import RogueProvider, b64, unsigned

Client = AsyncTestClient[Litestar]


def _tampered(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    header, _, signature = rogue.signed(claims).split(".")
    claims = {**claims, "groups": ["ebhxh-admins"]}
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def _expired(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    now = int(time.time())
    return rogue.signed({**claims, "iat": now - 3600, "exp": now - 600})


def _wrong_audience(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    return rogue.signed({**claims, "aud": "another-client"})


def _wrong_issuer(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    return rogue.signed({**claims, "iss": "https://accounts.evil.example"})


def _other_key_same_kid(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rogue-1"}, private=True)
    return jwt.encode({"alg": "RS256", "kid": "rogue-1"}, claims, stranger)


def _hmac_with_client_secret(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    key = OctKey.import_key(rogue.client_secret)
    return jwt.encode({"alg": "HS256"}, claims, key)


def _without_nonce(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    return rogue.signed({k: v for k, v in claims.items() if k != "nonce"})


def _future(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    now = int(time.time())
    return rogue.signed({**claims, "iat": now + 3600, "exp": now + 7200})


def _long_subject(rogue: RogueProvider, claims: dict[str, Any]) -> str:
    return rogue.signed({**claims, "sub": "s" * 256})


REFUSED = {
    "subject-too-long": _long_subject,
    "tampered": _tampered,
    "expired": _expired,
    "wrong-audience": _wrong_audience,
    "wrong-issuer": _wrong_issuer,
    "unsigned-alg-none": unsigned,
    "signed-by-another-key": _other_key_same_kid,
    "hs256-with-client-secret": _hmac_with_client_secret,
    "without-nonce": _without_nonce,
    "issued-in-the-future": _future,
}


REASONS = {
    "subject-too-long": "invalid_claim (sub)",
    "tampered": "bad_signature",
    "expired": "expired_token",
    "wrong-audience": "invalid_claim (aud)",
    "wrong-issuer": "invalid_claim (iss)",
    "unsigned-alg-none": "unsupported_algorithm",
    "signed-by-another-key": "bad_signature",
    "hs256-with-client-secret": "unsupported_algorithm",
    "without-nonce": "missing_claim (nonce)",
    "issued-in-the-future": "invalid_claim (iat)",
}


async def test_the_rogue_provider_can_sign_someone_in(
    sso_client: Client, rogue: RogueProvider
) -> None:
    """The control: with a good token the same path signs in, so refusals below are the
    validation's doing.
    """
    rogue.minter = RogueProvider.signed
    tenant = await configure_rogue(sso_client, rogue)
    answer = await attempt(sso_client, tenant)
    assert answer.status_code == 302, answer.text
    me = await sso_client.get("/auth/me", follow_redirects=False)
    assert me.json()["roles"] == ["viewer"]


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_bad_id_token_is_refused(
    sso_client: Client, rogue: RogueProvider, case: str
) -> None:
    rogue.minter = REFUSED[case]
    tenant = await configure_rogue(sso_client, rogue)

    answer = await attempt(sso_client, tenant)

    assert answer.status_code == 401, answer.text
    assert error_code(answer.text) == "sso_id_token_invalid"
    assert REASONS[case] in answer.text  # refused for the reason the case is about
    assert not any(h.startswith("ebhxh_session=") for h in answer.headers.get_list("set-cookie"))
    assert (await sso_client.get("/auth/me")).status_code == 401


async def test_a_replayed_nonce_is_refused(sso_client: Client, rogue: RogueProvider) -> None:
    rogue.minter = RogueProvider.signed
    tenant = await configure_rogue(sso_client, rogue)
    assert (await attempt(sso_client, tenant)).status_code == 302
    captured = rogue.issued[-1]
    sso_client.cookies.clear()

    # A later attempt (new state, new nonce) handed the earlier, genuine token.
    rogue.minter = lambda provider, claims: captured
    answer = await attempt(sso_client, tenant)

    assert answer.status_code == 401
    assert error_code(answer.text) == "sso_id_token_invalid"
    assert "invalid_claim (nonce)" in answer.text


def test_unsigned_token_shape() -> None:
    """The `none` token really is unsigned (so its refusal tests what it claims)."""
    token = unsigned(RogueProvider.__new__(RogueProvider), {"sub": "x"})
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "none" and token.endswith(".")
