"""Signing in end to end against a certified OpenID provider (npm `oidc-provider`), through
its login and consent forms, on PostgreSQL.
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.app import create_app
from ebhxh.demo.threaded import free_port
from ebhxh.settings import Settings
from ebhxh.sso import oidc
from tests.conftest import HANOI_TREE, HQ_DECLARATION, TenantHandle
from tests.sso.browser import as_browser, error_code, session_value, sign_in, through_provider
from tests.sso.certified_idp import CertifiedProvider
from tests.sso.conftest import REDIRECT_URI, People, configure_sso, new_tenant

Client = AsyncTestClient[Litestar]


async def _signed_in(client: Client, tenant: TenantHandle, login: str) -> str:
    answer = await sign_in(client, f"/auth/login?tenant={tenant.created.slug}", login, REDIRECT_URI)
    assert answer.status_code == 302, answer.text
    client.cookies.clear()  # each test then says which browser (cookie) it is
    return session_value(answer)


async def test_full_code_flow_signs_in_and_the_session_reaches_tenant_data(
    sso_client: Client, certified: CertifiedProvider, people: People
) -> None:
    tenant = new_tenant(sso_client)
    shown = await configure_sso(sso_client, tenant, certified)
    assert shown["client_secret_set"] is True
    assert "client_secret" not in shown and certified.client_secret not in str(shown)
    assert shown["redirect_uri"] == REDIRECT_URI
    email = people.add("ana", "ebhxh-admins", "unrelated-group")
    slug = tenant.created.slug

    answer = await sign_in(sso_client, f"/auth/login?tenant={slug}", "ana", REDIRECT_URI)

    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == "/auth/me"
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith("ebhxh_session=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()
    me = await sso_client.get("/auth/me")  # the client's cookie jar, as a browser would
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email
    assert me.json()["tenant"] == slug
    assert me.json()["roles"] == ["admin"]
    assert me.json()["via"] == "session"
    # The session works on the tenant API as a token does.
    assert (await sso_client.put("/organisation", json=HANOI_TREE)).status_code == 200
    declared = await sso_client.post("/units", json=HQ_DECLARATION)
    assert declared.status_code == 201, declared.text
    units = await sso_client.get("/units")
    assert [u["id"] for u in units.json()["units"]] == [declared.json()["id"]]
    # Machines keep using API tokens.
    sso_client.cookies.clear()
    by_token = await sso_client.get("/auth/me", headers=tenant.headers)
    assert by_token.json()["via"] == "token"
    anonymous = await sso_client.get("/auth/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"  # an API route


async def test_roles_follow_the_mapping_on_every_sign_in(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("binh", "ebhxh-hr")
    first = await _signed_in(sso_client, sso_tenant, "binh")
    me = await sso_client.get("/auth/me", headers=as_browser(first))
    assert me.json()["roles"] == ["hr"]
    user_id = me.json()["user_id"]

    people.add("binh", "ebhxh-viewers", "ebhxh-hr")
    second = await _signed_in(sso_client, sso_tenant, "binh")
    me = await sso_client.get("/auth/me", headers=as_browser(second))
    assert me.json()["roles"] == ["hr", "viewer"]
    assert me.json()["user_id"] == user_id  # the same person, not a new user

    people.add("binh", "ebhxh-viewers")
    third = await _signed_in(sso_client, sso_tenant, "binh")
    me = await sso_client.get("/auth/me", headers=as_browser(third))
    assert me.json()["roles"] == ["viewer"]
    refused = await sso_client.put("/organisation", json=HANOI_TREE, headers=as_browser(third))
    assert refused.status_code == 403

    # Groups that map to nothing: refused, and the person's earlier sessions stop working.
    people.add("binh", "marketing")
    answer = await sign_in(
        sso_client, f"/auth/login?tenant={sso_tenant.created.slug}", "binh", REDIRECT_URI
    )
    assert answer.status_code == 403
    assert error_code(answer.text) == "sso_no_role"
    assert (await sso_client.get("/auth/me", headers=as_browser(third))).status_code == 401


async def test_a_person_without_a_mapped_role_is_refused_with_a_page(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("chi", "marketing")
    start = f"/auth/login?tenant={sso_tenant.created.slug}"

    answer = await sign_in(sso_client, start, "chi", REDIRECT_URI)

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert error_code(answer.text) == "sso_no_role"
    assert "chưa được cấp quyền" in answer.text
    assert not any(h.startswith("ebhxh_session=") for h in answer.headers.get_list("set-cookie"))
    english = await sign_in(sso_client, start, "chi", REDIRECT_URI, {"Accept-Language": "en"})
    assert error_code(english.text) == "sso_no_role"
    assert "Your account has no role in this company" in english.text


async def test_english_error_page_on_request(sso_client: Client) -> None:
    answer = await sso_client.get(
        "/auth/login?tenant=no-such-tenant-xyz", headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 404
    assert error_code(answer.text) == "sso_tenant_unknown"
    assert "No company to sign in to" in answer.text
    assert answer.headers["content-language"] == "en"
    vietnamese = await sso_client.get("/auth/login")
    assert vietnamese.status_code == 400
    assert error_code(vietnamese.text) == "sso_login_input"
    assert 'lang="vi"' in vietnamese.text


async def test_sign_in_starts_from_the_email_domain(
    sso_client: Client, certified: CertifiedProvider, people: People
) -> None:
    tenant = new_tenant(sso_client)
    await configure_sso(sso_client, tenant, certified, domains=(people.domain,))
    email = people.add("dung", "ebhxh-viewers")

    answer = await sign_in(
        sso_client, f"/auth/login?email={email}&next=/units", "dung", REDIRECT_URI
    )

    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == "/units"
    me = await sso_client.get("/auth/me")
    assert me.json()["tenant"] == tenant.created.slug
    # Another tenant cannot claim the same domain.
    other = new_tenant(sso_client)
    sso_client.cookies.clear()
    clash = await sso_client.put(
        "/identity-provider",
        headers=other.headers,
        json={
            "issuer": certified.issuer,
            "client_id": "x",
            "client_secret": "y",
            "role_mapping": {},
            "email_domains": [people.domain],
        },
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "sso_email_domain_taken"
    assert people.domain in clash.json()["detail"]
    unknown = await sso_client.get("/auth/login?email=someone@unknown-domain.example")
    assert unknown.status_code == 404
    assert error_code(unknown.text) == "sso_tenant_unknown"


async def test_an_unsafe_next_is_replaced_by_the_default(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("em", "ebhxh-viewers")
    start = f"/auth/login?tenant={sso_tenant.created.slug}&next=//evil.example/x"
    answer = await sign_in(sso_client, start, "em", REDIRECT_URI)
    assert answer.headers["location"] == "/auth/me"


async def test_logout_ends_the_session(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("giang", "ebhxh-hr")
    value = await _signed_in(sso_client, sso_tenant, "giang")
    assert (await sso_client.get("/auth/me", headers=as_browser(value))).status_code == 200

    out = await sso_client.post("/auth/logout", headers=as_browser(value))

    assert out.status_code == 200
    assert any(
        h.startswith("ebhxh_session=") and "Max-Age=0" in h
        for h in out.headers.get_list("set-cookie")
    )
    # The old cookie no longer works, even if a browser kept it.
    assert (await sso_client.get("/auth/me", headers=as_browser(value))).status_code == 401
    assert (await sso_client.get("/units", headers=as_browser(value))).status_code == 401


async def test_another_tenants_session_sees_none_of_this_tenants_data(
    sso_client: Client, certified: CertifiedProvider, people: People
) -> None:
    tenant_a, tenant_b = new_tenant(sso_client), new_tenant(sso_client)
    await configure_sso(sso_client, tenant_a, certified)
    await configure_sso(sso_client, tenant_b, certified)
    await sso_client.put("/organisation", json=HANOI_TREE, headers=tenant_a.headers)
    unit = await sso_client.post("/units", json=HQ_DECLARATION, headers=tenant_a.headers)
    assert unit.status_code == 201, unit.text
    people.add("hoa", "ebhxh-admins")
    people.add("khanh", "ebhxh-admins")
    session_b = await _signed_in(sso_client, tenant_b, "khanh")

    answer = await sso_client.get(f"/units/{unit.json()['id']}", headers=as_browser(session_b))

    assert answer.status_code == 404
    assert (await sso_client.get("/units", headers=as_browser(session_b))).json()["units"] == []
    # One identity at the provider is a user of tenant A; tenant B's sign-in with the same
    # provider account does not reach that user.
    session_a = await _signed_in(sso_client, tenant_a, "hoa")
    assert (await sso_client.get("/auth/me", headers=as_browser(session_a))).status_code == 200
    crossing = await sign_in(
        sso_client, f"/auth/login?tenant={tenant_b.created.slug}", "hoa", REDIRECT_URI
    )
    assert crossing.status_code == 409
    assert error_code(crossing.text) == "sso_email_taken"


async def test_a_new_signing_key_at_the_provider_is_picked_up(
    sso_client: Client, certified: CertifiedProvider, people: People
) -> None:
    tenant = new_tenant(sso_client)
    await configure_sso(sso_client, tenant, certified)
    people.add("lan", "ebhxh-viewers")
    await _signed_in(sso_client, tenant, "lan")
    old_kid = certified.kid

    certified.rotate_key()
    # The relying party re-fetches keys at most this often; wait it out honestly.
    await asyncio.sleep(oidc.JWKS_REFRESH_INTERVAL_SECONDS)
    value = await _signed_in(sso_client, tenant, "lan")

    assert certified.kid != old_kid
    assert (await sso_client.get("/auth/me", headers=as_browser(value))).status_code == 200


async def test_a_state_that_does_not_match_the_browser_is_refused(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("minh", "ebhxh-admins")
    started = await sso_client.get(
        f"/auth/login?tenant={sso_tenant.created.slug}", follow_redirects=False
    )
    callback = await through_provider(started.headers["location"], "minh", REDIRECT_URI)
    path = callback.removeprefix("https://sso.test")

    # Another browser (an attacker's link) has no or another state cookie.
    sso_client.cookies.clear()
    foreign = await sso_client.get(path, headers={"Cookie": "ebhxh_sso_state=someone-elses"})
    assert foreign.status_code == 400
    assert error_code(foreign.text) == "sso_state_invalid"
    # A state the server never issued, even with a matching cookie.
    forged = await sso_client.get(
        "/auth/callback?state=forged&code=x", headers={"Cookie": "ebhxh_sso_state=forged"}
    )
    assert forged.status_code == 400
    assert error_code(forged.text) == "sso_state_invalid"


async def test_a_callback_is_used_once(
    sso_client: Client, sso_tenant: TenantHandle, people: People
) -> None:
    people.add("nga", "ebhxh-admins")
    started = await sso_client.get(
        f"/auth/login?tenant={sso_tenant.created.slug}", follow_redirects=False
    )
    state = started.cookies.get("ebhxh_sso_state") or ""
    callback = await through_provider(started.headers["location"], "nga", REDIRECT_URI)
    path = callback.removeprefix("https://sso.test")
    cookie = {"Cookie": f"ebhxh_sso_state={state}"}
    first = await sso_client.get(path, headers=cookie, follow_redirects=False)
    assert first.status_code == 302, first.text

    replayed = await sso_client.get(path, headers=cookie, follow_redirects=False)

    assert replayed.status_code == 400
    assert error_code(replayed.text) == "sso_state_invalid"


async def test_a_person_who_cancels_at_the_provider_gets_a_page(
    sso_client: Client, sso_tenant: TenantHandle
) -> None:
    started = await sso_client.get(
        f"/auth/login?tenant={sso_tenant.created.slug}", follow_redirects=False
    )
    callback = await through_provider(started.headers["location"], "", REDIRECT_URI, cancel=True)

    answer = await sso_client.get(callback.removeprefix("https://sso.test"), follow_redirects=False)

    assert answer.status_code == 403
    assert error_code(answer.text) == "sso_idp_error"
    assert "access_denied" in answer.text


async def test_a_provider_that_is_down_gives_a_clear_page(sso_client: Client) -> None:
    tenant = new_tenant(sso_client)
    dead = f"http://127.0.0.1:{free_port()}"
    configured = await sso_client.put(
        "/identity-provider",
        headers=tenant.headers,
        json={"issuer": dead, "client_id": "c", "client_secret": "s", "role_mapping": {}},
    )
    assert configured.status_code == 200, configured.text

    answer = await sso_client.get(
        f"/auth/login?tenant={tenant.created.slug}", follow_redirects=False
    )

    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert error_code(answer.text) == "sso_idp_unavailable"


async def test_a_provider_that_goes_down_mid_sign_in_gives_a_clear_page(
    sso_client: Client, sso_tenant: TenantHandle, people: People, certified: CertifiedProvider
) -> None:
    people.add("oanh", "ebhxh-hr")
    started = await sso_client.get(
        f"/auth/login?tenant={sso_tenant.created.slug}", follow_redirects=False
    )
    callback = await through_provider(started.headers["location"], "oanh", REDIRECT_URI)
    certified.stop()
    try:
        answer = await sso_client.get(
            callback.removeprefix("https://sso.test"), follow_redirects=False
        )
    finally:
        certified.start()

    assert answer.status_code == 503
    assert error_code(answer.text) == "sso_idp_unavailable"


async def test_no_provider_configured(sso_client: Client) -> None:
    tenant = new_tenant(sso_client)
    answer = await sso_client.get(
        f"/auth/login?tenant={tenant.created.slug}", follow_redirects=False
    )
    assert answer.status_code == 404
    assert error_code(answer.text) == "sso_not_configured"


async def test_redis_down_gives_a_clear_page_and_sessions_keep_working(
    sso_settings: Settings, sso_tenant: TenantHandle, sso_client: Client, people: People
) -> None:
    people.add("phuc", "ebhxh-viewers")
    value = await _signed_in(sso_client, sso_tenant, "phuc")
    no_redis = msgspec.structs.replace(sso_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(no_redis, configure_logs=False)
    async with AsyncTestClient(app=app, base_url="https://sso.test") as degraded:
        answer = await degraded.get(
            f"/auth/login?tenant={sso_tenant.created.slug}", follow_redirects=False
        )
        me = await degraded.get("/auth/me", headers=as_browser(value))

    assert answer.status_code == 503
    # The sign-in rate limit counts in Redis too, and answers first: no count, no sign-in.
    assert error_code(answer.text) == "service_unavailable"
    assert me.status_code == 200  # sessions live in the database
