"""A deferred signer type for tests: it answers pending and records what it was asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.demo import pki
from ebhxh.signing.certificates import summarise
from ebhxh.signing.contract import SignatureOutcome, SignaturePending, SignatureRequest
from tests.conftest import HANOI_TREE, HQ_DECLARATION, UNIT_EMAIL, Pki, TenantHandle


class Deferred:
    """A signer whose person signs later: it records what it was asked to sign."""

    name = "deferred"
    label = "Ký sau"
    secret_names: tuple[str, ...] = ()

    def __init__(self, certificate: bytes) -> None:
        self.certificate = certificate
        self.asked: list[SignatureRequest] = []
        self.while_asked: Callable[[], Awaitable[object]] | None = None
        """Run while a request is being asked for (its dossier in signing, the request
        not yet attached to it); what it returns goes to `seen_while_asked`."""
        self.seen_while_asked: list[object] = []

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        return [self.certificate]

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        self.asked.append(request)
        if self.while_asked is not None:
            self.seen_while_asked.append(await self.while_asked())
        return SignaturePending(waiting_for="chờ phê duyệt trên ứng dụng ký số")


def deferred_signer(test_pki: Pki) -> tuple[Any, Deferred]:
    """A fresh key with a company certificate from the test CA, and a `Deferred` on it."""
    key = pki.new_key()
    certificate = test_pki.ca.issue(
        key.public_key(), pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{test_pki.TAX_CODE}")
    )
    return key, Deferred(certificate)


async def unit_signing_with(
    client: AsyncTestClient[Litestar], tenant: TenantHandle, signature: dict[str, Any]
) -> str:
    """The head office of `HANOI_TREE` declared (with an email), its signature set up with
    `signature` (the body of PUT /units/{id}/signature).
    """
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    body = {**HQ_DECLARATION, "particulars": {"email": UNIT_EMAIL}}
    declared = await client.post("/units", json=body, headers=tenant.headers)
    assert declared.status_code == 201, declared.text
    unit_id = str(declared.json()["id"])
    setup = await client.put(f"/units/{unit_id}/signature", json=signature, headers=tenant.headers)
    assert setup.status_code == 200, setup.text
    return unit_id


def deferred_setup(signer: Deferred) -> dict[str, Any]:
    """The signature setup body for `signer`."""
    return {"signer_type": "deferred", "certificate_sha256": summarise(signer.certificate).sha256}
