"""The dossier lifecycle end to end: the platform, a real arq worker on the real Redis, the
VSS sandbox over HTTP, and a real SMTP server catching the activation mail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from ebhxh.clock import ShiftedClock
from ebhxh.db.binding import system_access
from ebhxh.settings import Settings
from ebhxh.tenancy.tables import Tenant
from ebhxh.vss_sandbox.inbox import MailCatcher, activation_code
from tests.conftest import (
    UNIT_EMAIL,
    Pki,
    TenantHandle,
    in_app,
    scrape,
    set_up_hsm_signature,
    signed_unit,
)
from tests.lifecycle.helpers import (
    Client,
    Sandbox,
    activate,
    create_dossier,
    notified,
    until,
)


@pytest.mark.sqlite
async def test_a_first_time_hanoi_company_reaches_service_active(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, mail: MailCatcher
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    assert created["state"] in ("submitting", "awaiting_activation")
    waiting = await until(client, tenant, created["id"], "awaiting_activation")
    assert waiting["activation"]["sent_to"] == "n***@songhong.vn"
    assert waiting["waiting_for"].startswith("chờ nhập mã kích hoạt")

    with_officer = await activate(client, tenant, mail, waiting)
    assert with_officer["state"] == "with_officer"
    sandbox.approve(waiting["receipt_id"])
    approved = await until(client, tenant, created["id"], "approved")
    unit_code = approved["issued_unit_code"]
    assert unit_code and len(unit_code) == 7 and unit_code.isupper()
    notice = await notified(mail, tenant, "đã được duyệt")
    assert f"cấp mã đơn vị {unit_code}" in notice.get_content()

    change = await client.put(
        f"/units/{unit_id}/unit-code", json={"unit_code": unit_code}, headers=tenant.headers
    )
    assert change.status_code == 200, change.text
    await until(client, tenant, change.json()["id"], "accepted")
    unit = (await client.get(f"/units/{unit_id}", headers=tenant.headers)).json()
    assert unit["unit_code"] == unit_code

    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    awaiting = await until(client, tenant, registration["id"], "awaiting_activation")
    active = await activate(client, tenant, mail, awaiting)
    assert active["state"] == "active"
    record = (await client.get(f"/units/{unit_id}/vss-record", headers=tenant.headers)).json()
    assert record == {"tax_code": "0100109106", "unit_code": unit_code, "provider": "eBHXH"}

    history = [(e["from_state"], e["to_state"]) for e in approved["history"]]
    assert history[:4] == [
        (None, "draft"),
        ("draft", "signing"),
        ("signing", "signed"),
        ("signed", "submitting"),
    ]
    assert ("with_officer", "approved") in history
    assert sandbox.call("GET", "/test/deliveries")  # the sandbox saw the dossiers


@pytest.mark.sqlite
async def test_a_company_with_a_code_registers_the_service(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, mail: MailCatcher
) -> None:
    sandbox.call(
        "POST",
        "/test/units",
        json={"tax_code": "0100109106", "unit_code": "TZH490L", "provider": None},
    )
    unit_id = await signed_unit(
        client, tenant, test_pki, first_time_participant=False, unit_code="TZH490L"
    )
    lookup = (await client.get(f"/units/{unit_id}/vss-record", headers=tenant.headers)).json()
    assert lookup["unit_code"] == "TZH490L"
    refused = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "dossier_kind_not_allowed")
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    awaiting = await until(client, tenant, registration["id"], "awaiting_activation")
    assert (await activate(client, tenant, mail, awaiting))["state"] == "active"


async def test_rejection_then_re_registration_then_approval(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, mail: MailCatcher
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    # What a manifest's [notifications] emails sets: these hear about dossiers too.
    also = '["ketoan@congty.example"]'
    in_app(
        client, Tenant.update({Tenant.notification_emails: also}).where(Tenant.id == tenant.id).run
    )
    first = await create_dossier(client, tenant, unit_id, "register-unit-code")
    waiting = await until(client, tenant, first["id"], "awaiting_activation")
    await activate(client, tenant, mail, waiting)
    sandbox.reject(waiting["receipt_id"], "Tên đơn vị không khớp giấy phép kinh doanh")
    rejected = await until(client, tenant, first["id"], "rejected")
    assert rejected["reason"] == "Tên đơn vị không khớp giấy phép kinh doanh"
    notice = await notified(mail, tenant, "bị từ chối")
    assert "Lý do: Tên đơn vị không khớp giấy phép kinh doanh" in notice.get_content()
    assert "ketoan@congty.example" in notice["To"]

    second = await client.post(f"/dossiers/{first['id']}/re-registration", headers=tenant.headers)
    assert second.status_code == 201, second.text
    assert (second.json()["version"], second.json()["previous_id"]) == (2, first["id"])
    waiting_again = await until(client, tenant, second.json()["id"], "awaiting_activation")
    await activate(client, tenant, mail, waiting_again)
    sandbox.approve(waiting_again["receipt_id"])
    await until(client, tenant, second.json()["id"], "approved")
    old = (await client.get(f"/dossiers/{first['id']}", headers=tenant.headers)).json()
    assert old["state"] == "superseded"
    listed = (await client.get(f"/units/{unit_id}/dossiers", headers=tenant.headers)).json()
    assert [d["version"] for d in listed["dossiers"]] == [2, 1]


async def test_an_activation_left_24_hours_expires_and_a_new_code_completes_it(
    client: Client, tenant: TenantHandle, test_pki: Pki, mail: MailCatcher, clock: ShiftedClock
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    waiting = await until(client, tenant, created["id"], "awaiting_activation")
    old_code = await asyncio.to_thread(
        activation_code, mail.folder, UNIT_EMAIL, waiting["receipt_id"]
    )
    clock.advance(dt.timedelta(hours=22, minutes=1))
    reminder = await notified(mail, tenant, "sắp hết hạn")
    assert "trước thời điểm đó" in reminder.get_content()
    clock.advance(dt.timedelta(hours=2))
    expired = await until(client, tenant, created["id"], "activation_expired")
    assert "24 giờ" in expired["history"][-1]["reason"]
    await notified(mail, tenant, "đã hết hạn")
    too_late = await client.post(
        f"/dossiers/{created['id']}/activation", json={"code": old_code}, headers=tenant.headers
    )
    assert (too_late.status_code, too_late.json()["code"]) == (410, "activation_code_expired")

    corrected = "hanhchinh@songhong.vn"
    renewed = await client.post(
        f"/dossiers/{created['id']}/activation-code",
        json={"email": corrected},
        headers=tenant.headers,
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["state"] == "awaiting_activation"
    assert renewed.json()["activation"]["sent_to"] == "h***@songhong.vn"
    done = await activate(client, tenant, mail, renewed.json(), to=corrected)
    assert done["state"] == "with_officer"


async def test_five_wrong_codes_lock_and_a_new_code_unlocks(
    client: Client, tenant: TenantHandle, test_pki: Pki, mail: MailCatcher
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    waiting = await until(client, tenant, created["id"], "awaiting_activation")
    right = await asyncio.to_thread(activation_code, mail.folder, UNIT_EMAIL, waiting["receipt_id"])
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    codes = []
    for _ in range(5):
        answer = await client.post(
            f"/dossiers/{created['id']}/activation", json={"code": wrong}, headers=tenant.headers
        )
        codes.append((answer.status_code, answer.json()["code"]))
    assert codes[:4] == [(422, "activation_code_wrong")] * 4
    assert codes[4] == (423, "activation_locked")
    still_locked = await client.post(
        f"/dossiers/{created['id']}/activation", json={"code": right}, headers=tenant.headers
    )
    assert still_locked.status_code in (409, 423)
    renewed = await client.post(
        f"/dossiers/{created['id']}/activation-code", json={}, headers=tenant.headers
    )
    assert renewed.status_code == 200, renewed.text
    await asyncio.sleep(0.2)
    assert (await activate(client, tenant, mail, renewed.json()))["state"] == "with_officer"


async def test_dropped_first_responses_still_make_one_dossier_each(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox
) -> None:
    sandbox.call("POST", "/test/faults", json={"drop_first_response": True})
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    await until(client, tenant, created["id"], "awaiting_activation")
    deliveries = sandbox.call("GET", "/test/deliveries")
    assert len(deliveries) == 1
    assert next(iter(deliveries.values())) == 2  # delivered twice, one dossier


async def test_activating_another_tenants_dossier_is_a_404(
    client: Client, make_tenant: Any, test_pki: Pki
) -> None:
    owner, intruder = await make_tenant(), await make_tenant()
    unit_id = await signed_unit(client, owner, test_pki)
    created = await create_dossier(client, owner, unit_id, "register-unit-code")
    answer = await client.post(
        f"/dossiers/{created['id']}/activation", json={"code": "123456"}, headers=intruder.headers
    )
    assert answer.status_code == 404
    unknown = await client.get(f"/dossiers/{uuid.uuid4()}", headers=owner.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "dossier_not_found")


async def test_while_vss_errors_the_dossier_waits_visibly_then_completes(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox
) -> None:
    sandbox.call("POST", "/test/faults", json={"error_rate": 1.0})
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    for _ in range(300):
        dossier = (await client.get(f"/dossiers/{created['id']}", headers=tenant.headers)).json()
        if "không phản hồi" in (dossier["waiting_for"] or ""):
            break
        await asyncio.sleep(0.1)
    assert dossier["state"] == "submitting"
    assert "cổng BHXH không phản hồi; thử lại lúc" in dossier["waiting_for"]
    sandbox.call("POST", "/test/faults", json={})
    await until(client, tenant, created["id"], "awaiting_activation")
    assert len(sandbox.call("GET", "/test/deliveries")) == 1


async def test_outbox_work_remembers_the_request_that_caused_it(
    client: Client, tenant: TenantHandle, test_pki: Pki
) -> None:
    from ebhxh.dossiers.tables import OutboxJob

    unit_id = await signed_unit(client, tenant, test_pki)
    created = await client.post(
        f"/units/{unit_id}/dossiers",
        json={"kind": "register-unit-code"},
        headers={**tenant.headers, "X-Request-ID": "req-dossier-42"},
    )
    assert created.status_code == 201

    async def request_ids() -> list[str]:
        with system_access():
            rows = await OutboxJob.select(OutboxJob.request_id).where(
                OutboxJob.dossier == uuid.UUID(created.json()["id"])
            )
        return [row["request_id"] for row in rows]

    assert in_app(client, request_ids) == ["req-dossier-42"]


async def test_a_failed_signing_leaves_a_draft_that_the_next_attempt_resumes(
    client: Client, tenant: TenantHandle, test_pki: Pki, clock: ShiftedClock
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    clock.advance(dt.timedelta(days=400))  # the certificate has expired by now
    refused = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "register-unit-code"}, headers=tenant.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "cert_expired")
    listed = (await client.get(f"/units/{unit_id}/dossiers", headers=tenant.headers)).json()
    [draft] = listed["dossiers"]
    assert draft["state"] == "draft"
    assert "ký số thất bại: cert_expired" in draft["history"][-1]["reason"]

    clock.advance(dt.timedelta(days=-400))  # a renewed certificate, as far as checks go
    resumed = await create_dossier(client, tenant, unit_id, "register-unit-code")
    assert resumed["id"] == draft["id"]  # the same dossier, signed now
    await until(client, tenant, draft["id"], "awaiting_activation")


async def test_recording_the_unit_code_twice_makes_one_change_dossier(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, mail: MailCatcher
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    created = await create_dossier(client, tenant, unit_id, "register-unit-code")
    waiting = await until(client, tenant, created["id"], "awaiting_activation")
    await activate(client, tenant, mail, waiting)
    sandbox.approve(waiting["receipt_id"])
    code = (await until(client, tenant, created["id"], "approved"))["issued_unit_code"]
    first, second = [
        await client.put(
            f"/units/{unit_id}/unit-code", json={"unit_code": code}, headers=tenant.headers
        )
        for _ in range(2)
    ]
    assert first.json()["id"] == second.json()["id"]
    wrong = await client.put(
        f"/units/{unit_id}/unit-code", json={"unit_code": "AAA111A"}, headers=tenant.headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "dossier_kind_not_allowed")
    assert code in wrong.json()["detail"]


def _scrape(text: str) -> list[tuple[str, dict[str, str], float]]:
    from prometheus_client.parser import text_string_to_metric_families

    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


async def test_metrics_show_routes_dossiers_queue_jobs_and_vss_calls(
    client: Client, tenant: TenantHandle, test_pki: Pki, settings: Settings
) -> None:
    unit_id = await signed_unit(client, tenant, test_pki)
    dossier = await create_dossier(client, tenant, unit_id, "register-unit-code")
    await until(client, tenant, dossier["id"], "awaiting_activation")
    assert (await client.get(f"/units/{unit_id}/vss-record", headers=tenant.headers)).is_success
    assert (await client.get(f"/nothing/{uuid.uuid4()}")).status_code == 404

    scraped = scrape(client)  # no token: scrapers do not authenticate
    assert scraped.status_code == 200, scraped.text
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = _scrape(scraped.text)

    def value(name: str, **labels: str) -> float:
        found = [v for n, ls, v in samples if n == name and labels.items() <= ls.items()]
        assert found, f"no {name} {labels}"
        return sum(found)

    assert value("ebhxh_requests_total", path="/dossiers/{dossier_id}", method="GET") >= 1
    assert value("ebhxh_request_duration_seconds_count", path="/units/{unit_id}/dossiers") >= 1
    assert value("ebhxh_dossiers", tenant_id=str(tenant.id), state="awaiting_activation") == 1
    assert value("ebhxh_queue_depth", queue=settings.queue_name) >= 0
    assert value("ebhxh_jobs_total", job_name="run_outbox", outcome="success") >= 1
    assert value("ebhxh_job_duration_seconds_count", job_name="run_outbox") >= 1
    assert value("ebhxh_vss_calls_total", operation="submit", outcome="ok") >= 1
    assert value("ebhxh_vss_calls_total", operation="lookup_unit", outcome="ok") >= 1
    # Labels carry route templates and a tenant id, never an id from a path or a raw path.
    label_values = {v for _, labels, _ in samples for v in labels.values()}
    assert not {unit_id, dossier["id"]} & label_values
    assert not any(v.startswith("/nothing") for v in label_values)
    tenant_ids = {ls["tenant_id"] for n, ls, _ in samples if n == "ebhxh_dossiers"}
    assert str(tenant.id) in tenant_ids


async def test_metrics_answer_only_the_cluster_and_never_through_a_proxy(client: Client) -> None:
    assert scrape(client, "10.0.0.7").status_code == 200
    proxied = scrape(client, "10.0.0.7", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404
    assert proxied.json()["code"] == "not_found"
    assert scrape(client, "203.0.113.9").status_code == 404  # outside metrics_networks
    assert (await client.get("/metrics")).status_code == 404  # a peer that is no address


async def test_a_renewed_certificate_is_recorded_with_a_change_dossier(
    client: Client, tenant: TenantHandle, test_pki: Pki, sandbox: Sandbox, mail: MailCatcher
) -> None:
    from ebhxh.signing.certificates import summarise
    from ebhxh.signing.validation import embedded_xml

    sandbox.call("POST", "/test/units", json={"tax_code": "0100109106", "unit_code": "TZH490L"})
    unit_id = await signed_unit(
        client, tenant, test_pki, first_time_participant=False, unit_code="TZH490L"
    )
    old_token = await set_up_hsm_signature(
        client, tenant, test_pki, unit_id, test_pki.previous_organisation
    )
    assert old_token.status_code == 200, old_token.text
    registration = await create_dossier(client, tenant, unit_id, "service-registration")
    awaiting = await until(client, tenant, registration["id"], "awaiting_activation")
    assert (await activate(client, tenant, mail, awaiting))["state"] == "active"

    unchanged = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "change"}, headers=tenant.headers
    )
    assert (unchanged.status_code, unchanged.json()["code"]) == (409, "dossier_kind_not_allowed")

    renewed = await set_up_hsm_signature(client, tenant, test_pki, unit_id, test_pki.organisation)
    assert renewed.status_code == 200, renewed.text
    change = await create_dossier(client, tenant, unit_id, "change")
    accepted = await until(client, tenant, change["id"], "accepted")
    document = await client.get(
        f"/signing-requests/{accepted['signing_request_id']}/document", headers=tenant.headers
    )
    declaration = embedded_xml(document.content)
    assert declaration is not None
    text = declaration.decode()
    old, new = summarise(test_pki.previous_organisation), summarise(test_pki.organisation)
    assert "Chứng thư số (số sê-ri)" in text
    assert f"<CU>{old.serial}</CU>" in text and f"<MOI>{new.serial}</MOI>" in text
    again = await client.post(
        f"/units/{unit_id}/dossiers", json={"kind": "change"}, headers=tenant.headers
    )
    assert again.status_code == 409  # the new certificate is the registered one now
