"""Declarative tenants: `ebhxh tenants apply` reconciles the database to a folder of TOML
manifests, prints the plan first, is a no-op the second time, never prints a secret, and
refuses a broken manifest whole (file and field named) while the others apply.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ebhxh.settings import Settings
from ebhxh.tenant_manifests.loader import load_folder
from tests.conftest import HANOI_TREE, HQ_DECLARATION, run_cli, settings_env

Client = AsyncTestClient[Litestar]
INSTALLED = {"ebhxh-signer-hsm", "ebhxh-signer-remote-csc"}
SECRET = "s3cr3t-of-acme-idp-Xq9"


def manifest(slug: str, *, name: str = "Công ty ACME", extra: str = "", secret: str = "") -> str:
    reference = secret or '{ env = "ACME_OIDC_SECRET" }'
    return textwrap.dedent(
        f"""\
        slug = "{slug}"
        name = "{name}"

        [identity_provider]
        issuer = "https://login.{slug}.example/realms/staff"
        client_id = "ebhxh"
        client_secret = {reference}
        email_domains = ["{slug}.example"]
        {extra}
        [identity_provider.role_mapping]
        "ebhxh-admins" = ["admin"]
        "hr-team" = ["hr", "signer"]

        [notifications]
        emails = ["ketoan@{slug}.example"]
        """
    )


BROKEN = {
    "inline secret": (
        'client_secret = { env = "ACME_OIDC_SECRET" }',
        'client_secret = "plaintext"',
        "identity_provider.client_secret",
        "never written in a manifest",
    ),
    "unset variable": (
        "ACME_OIDC_SECRET",
        "NOT_SET_ANYWHERE",
        "identity_provider.client_secret",
        "NOT_SET_ANYWHERE is not set",
    ),
    "missing file": (
        '{ env = "ACME_OIDC_SECRET" }',
        '{ file = "/nonexistent/secret" }',
        "identity_provider.client_secret",
        "cannot read /nonexistent/secret",
    ),
    "both references": (
        '{ env = "ACME_OIDC_SECRET" }',
        '{ env = "ACME_OIDC_SECRET", file = "x" }',
        "identity_provider.client_secret",
        "exactly one",
    ),
    "slug not the file name": ('slug = "acme"', 'slug = "other"', "slug", "must match"),
    "unknown field": (
        'client_id = "ebhxh"',
        'client_id = "ebhxh"\ncolour = "red"',
        "identity_provider.colour",
        "not a field",
    ),
    "wrong type": ('name = "Công ty ACME"', "name = 42", "name", "Expected `str`"),
    "missing field": ('client_id = "ebhxh"', "", "identity_provider.client_id", "required"),
    "unknown role": (
        '["admin"]',
        '["superuser"]',
        "identity_provider.role_mapping",
        "Invalid enum",
    ),
    "plain http issuer": ("https://login", "http://login", "identity_provider.issuer", "https"),
    "no openid scope": (
        "[identity_provider.role_mapping]",
        'scopes = ["email"]\n[identity_provider.role_mapping]',
        "identity_provider.scopes",
        "openid",
    ),
    "bad email": (
        '"ketoan@acme.example"',
        '"ketoan-at-acme"',
        "notifications.emails[0]",
        "does not have the expected form",
    ),
    "plugin not installed": (
        "[notifications]",
        '[plugins]\nenabled = ["ebhxh-nope"]\n[notifications]',
        "plugins.enabled",
        "not installed: ebhxh-nope",
    ),
    "issuer with a query": (
        'issuer = "https://login.acme.example/realms/staff"',
        'issuer = "https://login.acme.example/realms/staff?tenant=1"',
        "identity_provider.issuer",
        "does not have the expected form",
    ),
    "roles claim too long": (
        "[identity_provider.role_mapping]",
        f'roles_claim = "{"g" * 101}"\n[identity_provider.role_mapping]',
        "identity_provider.roles_claim",
        "length <= 100",
    ),
    "not TOML": ('name = "Công ty ACME"', 'name = "Công ty ACME', "(file)", "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_manifest_is_refused_naming_file_and_field(tmp_path: Path, case: str) -> None:
    old, new, field, message = BROKEN[case]
    text = manifest("acme")
    assert old in text, case
    (tmp_path / "acme.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "beta.toml").write_text(
        manifest("beta", secret='{ env = "ACME_OIDC_SECRET" }'), encoding="utf-8"
    )
    desired, errors = load_folder(
        tmp_path, installed=INSTALLED, environ={"ACME_OIDC_SECRET": SECRET}
    )
    assert [t.slug for t in desired] == ["beta"]  # the other manifest still loads
    assert len(errors) == 1, errors
    (error,) = errors
    assert (error.file, error.field) == (str(tmp_path / "acme.toml"), field), error
    assert message in error.message, error


def test_one_email_domain_belongs_to_one_manifest(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text(manifest("acme"), encoding="utf-8")
    (tmp_path / "beta.toml").write_text(
        manifest("beta").replace('["beta.example"]', '["acme.example"]'), encoding="utf-8"
    )
    desired, errors = load_folder(
        tmp_path, installed=INSTALLED, environ={"ACME_OIDC_SECRET": SECRET}
    )
    assert [t.slug for t in desired] == ["acme"]
    assert [(e.field, e.message) for e in errors] == [
        ("identity_provider.email_domains", f"acme.example is already in {tmp_path / 'acme.toml'}")
    ]


def _apply(folder: Path, env: dict[str, str], *flags: str) -> Any:
    result = run_cli("tenants", "apply", str(folder), *flags, env=env)
    assert SECRET not in result.stdout + result.stderr
    return result


@pytest.mark.sqlite
def test_apply_creates_then_is_a_no_op_then_updates_with_a_diff(
    settings: Settings, tmp_path: Path
) -> None:
    slug = f"m-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / f"{slug}.toml").write_text(manifest(slug), encoding="utf-8")
    env = {**settings_env(settings), "ACME_OIDC_SECRET": SECRET}

    dry = _apply(folder, env, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"+ {slug}" in dry.stdout and "create" in dry.stdout
    assert "+ name: Công ty ACME" in dry.stdout
    assert "+ identity_provider.client_secret: (hidden)" in dry.stdout
    assert "Dry run, nothing applied: 1 created" in dry.stdout
    assert f"+ {slug}" in _apply(folder, env, "--dry-run").stdout  # still nothing created

    first = _apply(folder, env)
    assert first.returncode == 0, first.stderr
    assert "Applied: 1 created, 0 updated, 0 unchanged, 0 refused." in first.stdout

    second = _apply(folder, env)
    assert second.returncode == 0, second.stderr
    assert f"= {slug}" in second.stdout
    assert "Applied: 0 created, 0 updated, 1 unchanged, 0 refused." in second.stdout

    (folder / f"{slug}.toml").write_text(
        manifest(slug, name="Công ty ACME Việt Nam").replace('"hr-team" = ["hr", "signer"]', ""),
        encoding="utf-8",
    )
    changed = _apply(folder, {**env, "ACME_OIDC_SECRET": SECRET + "-rotated"})
    assert changed.returncode == 0, changed.stderr
    assert f"~ {slug}" in changed.stdout
    assert "~ name: Công ty ACME -> Công ty ACME Việt Nam" in changed.stdout
    assert "~ identity_provider.client_secret: (hidden) -> (hidden)" in changed.stdout
    before = '{"ebhxh-admins":["admin"],"hr-team":["hr","signer"]}'
    after = '{"ebhxh-admins":["admin"]}'
    assert f"~ identity_provider.role_mapping: {before} -> {after}" in changed.stdout
    assert "1 updated" in changed.stdout
    again = _apply(folder, {**env, "ACME_OIDC_SECRET": SECRET + "-rotated"})
    assert "1 unchanged" in again.stdout


@pytest.mark.sqlite
def test_a_broken_manifest_applies_nothing_and_fails_the_command(
    settings: Settings, tmp_path: Path
) -> None:
    good, bad = f"g-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / f"{good}.toml").write_text(manifest(good), encoding="utf-8")
    (folder / f"{bad}.toml").write_text(
        manifest(bad).replace('client_id = "ebhxh"\n', ""), encoding="utf-8"
    )
    env = {**settings_env(settings), "ACME_OIDC_SECRET": SECRET}
    result = _apply(folder, env)
    assert result.returncode == 1
    assert f"! {folder / (bad + '.toml')}: identity_provider.client_id: required" in result.stdout
    assert "Applied: 1 created, 0 updated, 0 unchanged, 1 refused." in result.stdout
    listed = _apply(folder, env, "--dry-run").stdout
    assert f"= {good}" in listed and f"+ {bad}" not in listed
    others = [line for line in listed.splitlines() if line.startswith("Not declared")]
    assert not [line for line in others if bad in line]  # the refused tenant was never created


@pytest.mark.sqlite
async def test_enabled_plugins_limit_the_signer_types_a_tenant_may_use(
    client: Client, make_tenant: Any, settings: Settings, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    slug = tenant.created.slug
    folder = tmp_path / "tenants"
    folder.mkdir()
    text = manifest(slug).replace(
        "[notifications]", '[plugins]\nenabled = ["ebhxh-signer-remote-csc"]\n\n[notifications]'
    )
    (folder / f"{slug}.toml").write_text(text, encoding="utf-8")
    env = {**settings_env(settings), "ACME_OIDC_SECRET": SECRET}
    applied = _apply(folder, env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"~ {slug}" in applied.stdout  # the tenant existed: the manifest took it over

    types = (await client.get("/signer-types", headers=tenant.headers)).json()["signer_types"]
    assert [t["name"] for t in types] == ["remote_csc"]
    await client.put("/organisation", json=HANOI_TREE, headers=tenant.headers)
    unit = await client.post("/units", json=HQ_DECLARATION, headers=tenant.headers)
    refused = await client.post(
        f"/units/{unit.json()['id']}/signature/certificates",
        json={"signer_type": "hsm", "settings": {"token_label": "x"}, "secrets": {"pin": "1"}},
        headers=tenant.headers,
    )
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (
        "signer_type_not_enabled",
        "signer_type",
    )


@pytest.mark.sqlite
def test_a_domain_another_tenant_holds_refuses_the_manifest_and_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    first, second = f"a-{uuid.uuid4().hex[:8]}", f"z-{uuid.uuid4().hex[:8]}"
    env = {**settings_env(settings), "ACME_OIDC_SECRET": SECRET}
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / f"{first}.toml").write_text(manifest(first), encoding="utf-8")
    assert _apply(one, env).returncode == 0
    claiming = manifest(second).replace(f'["{second}.example"]', f'["{first}.example"]')
    (two / f"{second}.toml").write_text(claiming, encoding="utf-8")

    refused = _apply(two, env)
    assert refused.returncode == 1
    assert "identity_provider.email_domains: " in refused.stdout
    assert f"{first}.example" in refused.stdout
    assert f"+ {second}" in _apply(two, env, "--dry-run").stdout  # still not created


@pytest.mark.sqlite
def test_an_email_domain_moves_between_manifests_in_one_run(
    settings: Settings, tmp_path: Path
) -> None:
    # The claiming file sorts first, so it is applied before the one releasing the domain.
    releasing, claiming = f"z-{uuid.uuid4().hex[:8]}", f"a-{uuid.uuid4().hex[:8]}"
    env = {**settings_env(settings), "ACME_OIDC_SECRET": SECRET}
    moved = f"{releasing}.example"
    (tmp_path / f"{releasing}.toml").write_text(manifest(releasing), encoding="utf-8")
    assert _apply(tmp_path, env).returncode == 0

    kept = f'["{releasing}.example"]'
    (tmp_path / f"{releasing}.toml").write_text(
        manifest(releasing)
        .replace(kept, '["other.example"]')
        .replace("other.example", f"{releasing}-new.example"),
        encoding="utf-8",
    )
    (tmp_path / f"{claiming}.toml").write_text(
        manifest(claiming).replace(f'["{claiming}.example"]', f'["{moved}"]'), encoding="utf-8"
    )

    applied = _apply(tmp_path, env)
    assert applied.returncode == 0, applied.stdout
    assert "1 created, 1 updated, 0 unchanged, 0 refused" in applied.stdout
    assert "0 created, 0 updated, 2 unchanged" in _apply(tmp_path, env, "--dry-run").stdout


def test_the_stored_manifest_name_does_not_depend_on_how_the_folder_is_named(
    tmp_path: Path,
) -> None:
    (tmp_path / "acme.toml").write_text(manifest("acme"), encoding="utf-8")
    environ = {"ACME_OIDC_SECRET": SECRET}
    (absolute,), _ = load_folder(tmp_path, installed=INSTALLED, environ=environ)
    (relative,), _ = load_folder(
        Path(os.path.relpath(tmp_path)), installed=INSTALLED, environ=environ
    )
    assert absolute.file != relative.file
    assert absolute.manifest == relative.manifest == "acme.toml"
