"""Run inside the environment where the sample wheel is installed: declare a unit in
"Quảng Nam" on the embedded default and print the answer as JSON (not part of the wheel).
"""

from __future__ import annotations

import functools
import json
import sys

from litestar.testing import TestClient

from ebhxh.app import create_app
from ebhxh.settings import Settings
from ebhxh.tenancy.bootstrap import create_tenant

TREE = {
    "nodes": [
        {"external_id": "HQ", "kind": "company", "name": "Công ty Mẫu", "tax_code": "0100109106"}
    ]
}
UNIT = {
    "org_node_external_id": "HQ",
    "name": "Công ty Mẫu",
    "tax_code": "0100109106",
    "province": "Quảng Nam",
    "first_time_participant": True,
}

app = create_app(Settings(data_dir=sys.argv[1], bootstrap_demo_tenant=False), configure_logs=False)
with TestClient(app) as client:
    tenant = client.blocking_portal.call(
        functools.partial(
            create_tenant, slug="partner", name="Mẫu", admin_email="a@mau.vn", admin_name="A"
        )
    )
    headers = {"Authorization": f"Bearer {tenant.token}"}
    client.put("/organisation", json=TREE, headers=headers).raise_for_status()
    without_phone = client.post("/units", json=UNIT, headers=headers)
    declared = client.post(
        "/units", json={**UNIT, "particulars": {"phone": "0236 3822 123"}}, headers=headers
    )
    print(json.dumps({"refused": without_phone.json(), "declared": declared.json()}))
