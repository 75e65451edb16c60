"""Data for the sweeps over every OpenAPI route: a valid body per operation and one of
everything a path parameter can name (tenant isolation, Schemathesis).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.signing.certificates import summarise
from tests.conftest import (
    DA_NANG_BRANCH_DECLARATION,
    HANOI_TREE,
    HQ_DECLARATION,
    Pki,
    TenantHandle,
    in_app,
)
from tests.employee_helpers import sync_and_employee

Client = AsyncTestClient[Litestar]


def bodies_of(test_pki: Pki) -> dict[str, Any]:
    """A valid body for every operation that takes one (a new route must add its own)."""
    access = {
        "signer_type": "hsm",
        "settings": {"token_label": test_pki.TOKEN},
        "secrets": {"pin": test_pki.PIN},
    }
    return {
        "setUnitParticulars": {"phone": "024 3825 1234"},
        "discoverCertificates": access,
        "setUpSignature": {**access, "certificate_sha256": summarise(test_pki.organisation).sha256},
        "signForm": {"form": "tk3-ts"},
        "createDossier": {"kind": "register-unit-code"},
        "activateDossier": {"code": "123456"},
        "requestActivationCode": {},
        "recordUnitCode": {"unit_code": "TZH490L"},
        "requestProviderStop": {"reason": "chuyển nhà cung cấp"},
        "recordPaperSent": {"sent_on": "2026-01-05", "channel": "desk"},
        "recordPaperUnitCode": {"unit_code": "TZH490L"},
        "pushOrganisationTree": HANOI_TREE,
        "declareUnit": HQ_DECLARATION,
        "pairDevice": {"code": "ABCD-EFGH", "name": "PC"},
        "reportDeviceCertificates": {"token": "ebhxh-token", "certificates": []},
        "answerBridgeRequest": {"request_id": str(uuid.UUID(int=1)), "detail": "refused"},
        "putIdentityProvider": {
            "issuer": "https://login.example.com",
            "client_id": "ebhxh",
            "client_secret": "sweep-client-secret",
            "role_mapping": {"admins": ["admin"]},
        },
    }


async def _switch(tenant_id: uuid.UUID, unit_id: str, dossier_id: str) -> uuid.UUID:
    """A detected switch (detection needs VSS; this sweep has none, so it is recorded)."""
    import datetime as dt

    from ebhxh.db.tenant_scope import TenantScope
    from ebhxh.switching.contract import CompetingProvider, StopProcedure
    from ebhxh.switching.track import open_switch

    return await open_switch(
        TenantScope(tenant_id),
        unit_id=uuid.UUID(unit_id),
        registration_id=uuid.UUID(dossier_id),
        provider=CompetingProvider(
            key="bkav", display_name="BKAV", names=(), stop_procedure=StopProcedure.PORTAL
        ),
        reported="BKAV-IVAN",
        now=dt.datetime.now(dt.UTC),
        actor="test",
    )


async def populate(client: Client, tenant: TenantHandle, test_pki: Pki) -> dict[str, str]:
    """Give a tenant one of everything an id can name; return the ids by path parameter."""
    headers = tenant.headers
    await client.put("/organisation", json=HANOI_TREE, headers=headers)
    nodes = (await client.get("/organisation", headers=headers)).json()["nodes"]
    unit_id = (await client.post("/units", json=HQ_DECLARATION, headers=headers)).json()["id"]
    bodies = bodies_of(test_pki)
    setup = await client.put(
        f"/units/{unit_id}/signature", json=bodies["setUpSignature"], headers=headers
    )
    assert setup.status_code == 200, setup.text
    signed = await client.post(
        f"/units/{unit_id}/signing-requests", json=bodies["signForm"], headers=headers
    )
    dossier = await client.post(
        f"/units/{unit_id}/dossiers", json=bodies["createDossier"], headers=headers
    )
    assert dossier.status_code == 201, dossier.text
    switch_id = in_app(client, _switch, tenant.id, unit_id, dossier.json()["id"])
    branch = DA_NANG_BRANCH_DECLARATION
    paper_unit = await client.post("/units", json=branch, headers=headers)
    assert paper_unit.status_code == 201, paper_unit.text
    paper_unit_id = paper_unit.json()["id"]
    prepared = await client.post(f"/units/{paper_unit_id}/paper-dossier", headers=headers)
    assert prepared.status_code == 200, prepared.text
    code = (await client.post("/devices/pairing-codes", headers=headers)).json()["code"]
    paired = await client.post("/device/pairing", json={"code": code, "name": "PC"})
    assert paired.status_code == 201, paired.text
    return {
        "device_id": paired.json()["device_id"],
        "paper_unit_id": paper_unit_id,
        "switch_id": str(switch_id),
        **sync_and_employee(client, unit_id),
        "dossier_id": dossier.json()["id"],
        "node_id": nodes[0]["id"],
        "unit_id": unit_id,
        "request_id": signed.json()["id"],
        "form": "tk3-ts",
    }
