"""Switching away from a competing provider, end to end: detection at VSS, the provider
plugins' stop procedures (a signed stop dossier, or the old provider's portal), VSS
confirming or refusing the stop, and the service registration continuing by itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from ebhxh.clock import ShiftedClock
from ebhxh.signing.certificates import summarise
from ebhxh.vss_sandbox.inbox import MailCatcher
from tests.conftest import Pki, TenantHandle, set_up_hsm_signature, signed_unit
from tests.lifecycle.helpers import Client, Sandbox, activate, create_dossier, until

TAX_CODE = "0100109106"
UNIT_CODE = "TZH490L"


async def _unit_registered_with(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    sandbox: Sandbox,
    provider: str,
    certificate: bytes | None = None,
) -> str:
    """A unit with a code that VSS lists with `provider` (and the certificate it registered)."""
    sandbox.call(
        "POST",
        "/test/units",
        json={
            "tax_code": TAX_CODE,
            "unit_code": UNIT_CODE,
            "provider": provider,
            "provider_certificate_sha256": summarise(certificate).sha256 if certificate else None,
        },
    )
    return await signed_unit(
        client, tenant, test_pki, first_time_participant=False, unit_code=UNIT_CODE
    )


async def _switch(client: Client, tenant: TenantHandle, switch_id: str) -> Any:
    answer = await client.get(f"/provider-switches/{switch_id}", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _switch_until(
    client: Client, tenant: TenantHandle, switch_id: str, state: str, clock: ShiftedClock
) -> Any:
    """Wait (bounded: 30 s) for the switch to reach `state`, moving the clock past polls."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        switch = await _switch(client, tenant, switch_id)
        if switch["state"] == state:
            return switch
        assert asyncio.get_running_loop().time() < deadline, switch
        clock.advance(dt.timedelta(seconds=5))  # the next poll of VSS is due at once
        await asyncio.sleep(0.5)


async def _request_stop(client: Client, tenant: TenantHandle, switch_id: str) -> Any:
    answer = await client.post(
        f"/provider-switches/{switch_id}/stop",
        json={"reason": "Chuyển sang nhà cung cấp eBHXH"},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _newest_registration(
    client: Client, tenant: TenantHandle, unit_id: str, version: int
) -> Any:
    """Wait (bounded: 30 s) for the unit's newest dossier to be at `version`."""
    for _ in range(300):
        listed = (await client.get(f"/units/{unit_id}/dossiers", headers=tenant.headers)).json()
        if listed["dossiers"][0]["version"] == version:
            return listed["dossiers"][0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no version {version}: {listed}")


async def _finish_registration(
    client: Client, tenant: TenantHandle, mail: MailCatcher, registration_id: str
) -> Any:
    """The registration continued by itself: activate it with the emailed code."""
    awaiting = await until(client, tenant, registration_id, "awaiting_activation")
    active = await activate(client, tenant, mail, awaiting)
    assert active["state"] == "active"
    return active


@pytest.mark.parametrize(
    ("reported", "key", "procedure"),
    [
        ("VNPT-BHXH", "vnpt", "dossier"),
        ("Viettel-BHXH", "viettel", "dossier"),
        ("EFY-eBH", "efy", "dossier"),
        ("BKAV-IVAN", "bkav", "portal"),
        ("TS24 - Thái Sơn", "ts24", "portal"),
        ("Công ty TNHH Giải pháp I-VAN Phương Nam", "other", "dossier"),
    ],
)
async def test_a_unit_registered_elsewhere_switches_to_us(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    sandbox: Sandbox,
    mail: MailCatcher,
    clock: ShiftedClock,
    reported: str,
    key: str,
    procedure: str,
) -> None:
    unit_id = await _unit_registered_with(client, tenant, test_pki, sandbox, reported)
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    assert registration["state"] == "awaiting_stop"
    assert registration["waiting_for"].startswith("chờ dừng dịch vụ với")
    switch_id = registration["provider_switch_id"]
    detected = await _switch(client, tenant, switch_id)
    assert detected["state"] == "detected"
    old = detected["old_provider"]
    assert (old["key"], old["reported_name"], old["stop_procedure"]) == (key, reported, procedure)
    assert old["requirements"], "the user is told what they need"
    assert bool(old["portal_steps"]) == (procedure == "portal")

    again = await client.post(
        f"/units/{unit_id}/dossiers",
        json={"kind": "service-registration"},
        headers={**tenant.headers, "Accept-Language": "en"},
    )
    assert (again.status_code, again.json()["code"]) == (409, "dossier_kind_not_allowed")
    assert "waiting for the old provider's service to stop" in again.json()["detail"]

    requested = await _request_stop(client, tenant, switch_id)
    assert requested["state"] == "stop_requested"
    if procedure == "dossier":
        stop = await until(client, tenant, requested["stop_dossier_id"], "with_officer")
        assert stop["kind"] == "stop-service"
        sandbox.approve(stop["receipt_id"])
    else:
        assert requested["stop_dossier_id"] is None
        assert "hệ thống tự kiểm tra" in requested["waiting_for"]
        sandbox.call("POST", f"/test/units/{TAX_CODE}/provider-stopped")  # done in their portal
    confirmed = await _switch_until(client, tenant, switch_id, "stop_confirmed", clock)
    assert [step["to_state"] for step in confirmed["history"]] == [
        "detected",
        "stop_requested",
        "stop_confirmed",
    ]
    assert confirmed["waiting_for"] is None

    await _finish_registration(client, tenant, mail, registration["id"])
    record = (await client.get(f"/units/{unit_id}/vss-record", headers=tenant.headers)).json()
    assert record == {"tax_code": TAX_CODE, "unit_code": UNIT_CODE, "provider": "eBHXH"}


@pytest.mark.sqlite
async def test_a_stop_signed_with_another_certificate_is_refused_then_corrected(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    sandbox: Sandbox,
    mail: MailCatcher,
    clock: ShiftedClock,
) -> None:
    unit_id = await _unit_registered_with(
        client, tenant, test_pki, sandbox, "Viettel-BHXH", test_pki.previous_organisation
    )
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    switch_id = registration["provider_switch_id"]
    first = await _request_stop(client, tenant, switch_id)
    refused = await _switch_until(client, tenant, switch_id, "stop_refused", clock)
    assert "chứng thư số đã đăng ký với Viettel-BHXH" in refused["reason"]
    assert "sửa theo lý do" in refused["waiting_for"]
    stop_v1 = (
        await client.get(f"/dossiers/{first['stop_dossier_id']}", headers=tenant.headers)
    ).json()
    assert stop_v1["state"] == "refused"

    # The correction: sign with the certificate registered with Viettel (the old token).
    reset = await set_up_hsm_signature(
        client, tenant, test_pki, unit_id, test_pki.previous_organisation
    )
    assert reset.status_code == 200, reset.text
    second = await _request_stop(client, tenant, switch_id)
    assert second["stop_dossier_id"] != first["stop_dossier_id"]
    stop_v2 = await until(client, tenant, second["stop_dossier_id"], "with_officer")
    assert (stop_v2["version"], stop_v2["previous_id"]) == (2, first["stop_dossier_id"])
    sandbox.approve(stop_v2["receipt_id"])
    confirmed = await _switch_until(client, tenant, switch_id, "stop_confirmed", clock)
    assert [step["to_state"] for step in confirmed["history"]] == [
        "detected",
        "stop_requested",
        "stop_refused",
        "stop_requested",
        "stop_confirmed",
    ]
    await _finish_registration(client, tenant, mail, registration["id"])


async def test_the_officer_refusing_a_stop_is_shown_with_the_reason(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, clock: ShiftedClock
) -> None:
    unit_id = await _unit_registered_with(client, tenant, test_pki, sandbox, "VNPT-BHXH")
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    requested = await _request_stop(client, tenant, registration["provider_switch_id"])
    stop = await until(client, tenant, requested["stop_dossier_id"], "with_officer")
    sandbox.reject(stop["receipt_id"], "Đơn vị còn hồ sơ chưa hoàn tất qua VNPT")
    refused = await _switch_until(
        client, tenant, registration["provider_switch_id"], "stop_refused", clock
    )
    assert refused["reason"] == "Đơn vị còn hồ sơ chưa hoàn tất qua VNPT"
    still = (await client.get(f"/dossiers/{registration['id']}", headers=tenant.headers)).json()
    assert still["state"] == "awaiting_stop"  # nothing is submitted while VNPT is active


async def test_a_registration_racing_another_provider_is_refused_by_vss_and_explained(
    client: Client,
    tenant: TenantHandle,
    test_pki: Pki,
    sandbox: Sandbox,
    mail: MailCatcher,
    clock: ShiftedClock,
) -> None:
    unit_id = await _unit_registered_with(client, tenant, test_pki, sandbox, "")
    sandbox.call("POST", "/test/faults", json={"error_rate": 1.0})  # hold it in submitting
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    assert registration["provider_switch_id"] is None  # VSS listed no provider at first
    sandbox.call(  # meanwhile the unit registered with BKAV
        "POST", "/test/units", json={"tax_code": TAX_CODE, "provider": "BKAV-IVAN"}
    )
    sandbox.call("POST", "/test/faults", json={})
    refused = await until(client, tenant, registration["id"], "refused")
    assert "đang đăng ký giao dịch điện tử qua BKAV-IVAN" in refused["reason"]
    switch_id = refused["provider_switch_id"]
    assert switch_id, "the refusal started the switch"
    switch = await _switch(client, tenant, switch_id)
    assert (switch["state"], switch["old_provider"]["key"]) == ("detected", "bkav")
    by_hand = await client.post(
        f"/dossiers/{registration['id']}/re-registration", headers=tenant.headers
    )
    assert (by_hand.status_code, by_hand.json()["code"]) == (409, "dossier_kind_not_allowed")

    await _request_stop(client, tenant, switch_id)
    sandbox.call("POST", f"/test/units/{TAX_CODE}/provider-stopped")
    await _switch_until(client, tenant, switch_id, "stop_confirmed", clock)
    newest = await _newest_registration(client, tenant, unit_id, version=2)
    assert (newest["kind"], newest["version"], newest["previous_id"]) == (
        "service-registration",
        2,
        registration["id"],
    )
    await _finish_registration(client, tenant, mail, newest["id"])


async def test_another_tenants_switch_is_not_found(
    client: Client, make_tenant: Any, test_pki: Pki, sandbox: Sandbox
) -> None:
    owner, intruder = await make_tenant(), await make_tenant()
    unit_id = await _unit_registered_with(client, owner, test_pki, sandbox, "VNPT-BHXH")
    registration = await create_dossier(client, owner, unit_id, "service-registration")
    switch_id = registration["provider_switch_id"]
    seen = await client.get(f"/provider-switches/{switch_id}", headers=intruder.headers)
    assert (seen.status_code, seen.json()["code"]) == (404, "switch_not_found")
    stopped = await client.post(
        f"/provider-switches/{switch_id}/stop", json={}, headers=intruder.headers
    )
    assert stopped.status_code == 404
    assert (await _switch(client, owner, switch_id))["state"] == "detected"
