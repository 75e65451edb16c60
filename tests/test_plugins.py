"""The plugin system: entry-point loading, the allow-list, each hook, and the hook docs."""

from __future__ import annotations

import ast
import inspect
import re
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from ebhxh.plugins import hookimpl, hookspecs
from ebhxh.plugins.catalogue import PluginCatalogue, PluginConflict
from ebhxh.plugins.manager import load_plugins
from ebhxh.signing.contract import SignatureOutcome, SignatureRequest, SignatureValue, SignerType
from ebhxh.switching.contract import CompetingProvider, StopProcedure
from ebhxh.switching.registry import ProviderConflict
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_built_in_plugins_load_through_the_entry_point_group() -> None:
    plugins = load_plugins()
    by_distribution = {p.distribution: p for p in plugins.loaded}
    assert {"ebhxh-province-hanoi", "ebhxh-province-paper", "ebhxh-signer-hsm"} <= set(
        by_distribution
    )
    assert by_distribution["ebhxh-province-hanoi"].version == "0.1.0"
    assert by_distribution["ebhxh-province-hanoi"].module == "ebhxh_province_hanoi.plugin"


def test_the_allow_list_restricts_what_loads() -> None:
    plugins = load_plugins(allow=["ebhxh_province_hanoi"])
    assert [p.distribution for p in plugins.loaded] == ["ebhxh-province-hanoi"]
    catalogue = PluginCatalogue.build(plugins)
    assert [r.province.code for r in catalogue.provinces.rules()] == ["01"]
    assert catalogue.provinces.resolve("Đà Nẵng") is None


def test_cli_lists_plugins_with_distribution_and_version() -> None:
    result = run_cli("plugins", env={})
    assert result.returncode == 0, result.stderr
    assert "ebhxh-province-hanoi 0.1.0" in result.stdout
    assert "ebhxh-province-paper 0.1.0" in result.stdout
    assert "01 Hà Nội (electronic)" in result.stdout
    assert "48 Đà Nẵng (paper)" in result.stdout
    assert "ebhxh-signer-hsm 0.1.0" in result.stdout
    assert "signer_types: 1" in result.stdout
    restricted = run_cli("plugins", env={"EBHXH_PLUGINS_ALLOW": "ebhxh-province-paper"})
    assert "ebhxh-province-hanoi" not in restricted.stdout
    assert "provinces: 33" in restricted.stdout


class _EchoSigner:
    """A signer type that 'signs' by reversing bytes: enough to prove the hook's wiring."""

    name = "echo"
    label = "Ký thử"
    secret_names: tuple[str, ...] = ()

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        return [b"cert-" + settings.get("serial", "0").encode()]

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        return SignatureValue(request.to_be_signed[::-1])


def _plugin(**hooks: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


async def test_ebhxh_signer_types_are_collected_and_usable() -> None:
    plugin = _plugin(ebhxh_signer_types=lambda: [_EchoSigner()])
    catalogue = PluginCatalogue.build(load_plugins(discovered=[], extra=[("signers-echo", plugin)]))
    signer = catalogue.signer_type("echo")
    assert isinstance(signer, SignerType)
    assert catalogue.signer_type_names() == ["echo"]
    assert catalogue.contributions_of("signers-echo")["signer_types"] == ["echo"]
    assert await signer.list_certificates({"serial": "7"}, {}) == [b"cert-7"]
    request = SignatureRequest(
        request_id="r", tenant_id="t", unit_id="u", certificate_der=b"", to_be_signed=b"abc"
    )
    assert await signer.request_signature(request) == SignatureValue(b"cba")


def test_two_signer_types_with_one_name_conflict() -> None:
    first = _plugin(ebhxh_signer_types=lambda: [_EchoSigner()])
    second = _plugin(ebhxh_signer_types=lambda: [_EchoSigner()])
    plugins = load_plugins(extra=[("dist-a", first), ("dist-b", second)])
    with pytest.raises(PluginConflict, match=r"dist-a.*dist-b"):
        PluginCatalogue.build(plugins)


VNPT = CompetingProvider(
    key="vnpt",
    display_name="VNPT-IVAN",
    names=("VNPT", "Tập đoàn Bưu chính Viễn thông Việt Nam"),
    stop_procedure=StopProcedure.DOSSIER,
)
GENERIC = CompetingProvider(
    key="generic",
    display_name="Nhà cung cấp khác",
    names=(),
    stop_procedure=StopProcedure.PORTAL,
    portal_steps=("Đăng nhập cổng của nhà cung cấp cũ", "Gửi yêu cầu dừng dịch vụ"),
    fallback=True,
)


def test_ebhxh_competing_providers_match_names_with_a_fallback() -> None:
    plugin = _plugin(ebhxh_competing_providers=lambda: [VNPT, GENERIC])
    only = load_plugins(discovered=(), extra=[("providers", plugin)])  # not the installed ones
    catalogue = PluginCatalogue.build(only)
    assert catalogue.providers.match("vnpt") == VNPT
    assert catalogue.providers.match("Tap doan Buu chinh Vien thong Viet Nam") == VNPT
    assert catalogue.providers.match("Nhà cung cấp lạ") == GENERIC
    assert catalogue.contributions_of("providers")["competing_providers"] == ["generic", "vnpt"]


def test_a_provider_described_twice_conflicts() -> None:
    plugins = load_plugins(
        discovered=(),
        extra=[
            ("dist-a", _plugin(ebhxh_competing_providers=lambda: [VNPT])),
            ("dist-b", _plugin(ebhxh_competing_providers=lambda: [VNPT])),
        ],
    )
    with pytest.raises(ProviderConflict, match=r"dist-a.*dist-b"):
        PluginCatalogue.build(plugins)


def test_without_a_fallback_an_unknown_provider_matches_nothing() -> None:
    plugin = _plugin(ebhxh_competing_providers=lambda: [VNPT])
    catalogue = PluginCatalogue.build(load_plugins(discovered=(), extra=[("providers", plugin)]))
    assert catalogue.providers.match("BKAV") is None


HOOKS = [
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("ebhxh_")
]


def test_hookspecs_are_found_for_the_meta_tests() -> None:
    assert len(HOOKS) == 7


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_tested(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Receives" in doc and "Returns" in doc and "Called" in doc, hook
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### {hook}$", guide, re.M), f"{hook} has no section in docs/plugins.md"
    assert any(hook in name for name in _test_function_names()), f"{hook} has no test"


def _test_function_names() -> set[str]:
    """Names of every test function in the suite: a hook's test carries the hook's name."""
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        )
    return names


@pytest.mark.parametrize(
    ("reported", "key"),
    [
        ("VNPT-BHXH", "vnpt"),
        ("Tap doan Buu chinh Vien thong Viet Nam", "vnpt"),
        ("viettel-bhxh", "viettel"),
        ("BKAV-IVAN", "bkav"),
        ("EFY-eBH", "efy"),
        ("TS24 - Thái Sơn", "ts24"),
        ("Công ty I-VAN chưa ai biết", "other"),
    ],
)
def test_the_built_in_provider_plugins_load_through_their_entry_points(
    reported: str, key: str
) -> None:
    plugins = load_plugins()
    catalogue = PluginCatalogue.build(plugins)
    matched = catalogue.providers.match(reported)
    assert matched is not None and matched.key == key
    distribution = f"ebhxh-provider-{'generic' if key == 'other' else key}"
    assert distribution in {plugin.distribution for plugin in plugins.loaded}
    assert catalogue.contributions_of(distribution)["competing_providers"] == [key]
    if matched.stop_procedure is StopProcedure.PORTAL:
        assert len(matched.portal_steps) >= 3 and matched.support_contact
