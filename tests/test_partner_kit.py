"""The partner kit works with no change to the core: a sample province plugin that lives
only in the tests is built into a wheel, installed into a fresh environment beside the
platform, discovered through its entry point, and routes a unit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "partner_plugin"
DISTRIBUTION = "ebhxh-province-sample-danang"


def _run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def partner_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new environment with the platform (this one's packages) and the sample's wheel."""
    uv = os.environ.get("UV")
    assert uv, "run the tests with `uv run` (make test): the build uses uv"
    folder = tmp_path_factory.mktemp("partner")
    _run(uv, "build", "--wheel", "--out-dir", folder / "dist", SAMPLE)
    [wheel] = (folder / "dist").glob("ebhxh_province_sample_danang-0.1.0-*.whl")
    env = folder / "env"
    _run(uv, "venv", "--quiet", "--python", sys.executable, env)
    python = env / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    # Beside the platform: the new environment sees the platform's installed packages.
    platform_site = sysconfig.get_paths()["purelib"]
    Path(site.strip(), "platform.pth").write_text(
        f"import site; site.addsitedir({platform_site!r})\n", encoding="utf-8"
    )
    _run(uv, "pip", "install", "--quiet", "--no-deps", "--python", python, wheel)
    return python


def test_the_sample_plugin_is_discovered_from_its_wheel(partner_env: Path) -> None:
    listing = _run(partner_env, "-m", "ebhxh.cli", "plugins")
    assert f"{DISTRIBUTION} 0.1.0" in listing
    assert "48 Đà Nẵng (paper)" in listing
    located = _run(partner_env, "-c", "import ebhxh_province_sample_danang as m; print(m.__file__)")
    assert str(SAMPLE) not in located  # imported from the installed wheel, not the source


def test_the_sample_plugin_routes_a_unit(partner_env: Path, tmp_path: Path) -> None:
    data = {**os.environ, "EBHXH_DATA_DIR": str(tmp_path / "data")}
    _run(partner_env, "-m", "ebhxh.cli", "migrate", env=data)
    printed = _run(partner_env, SAMPLE / "route_a_unit.py", tmp_path / "data", cwd=tmp_path)
    answer = json.loads(printed.strip().splitlines()[-1])  # after the app's log lines
    refused = answer["refused"]
    assert (refused["code"], refused["field"]) == ("province_requirement", "particulars.phone")
    unit = answer["declared"]
    assert (unit["route"], unit["province"]["code"]) == ("paper", "48")
    assert unit["province"]["office_address"] == "Địa chỉ mẫu của gói đối tác, thành phố Đà Nẵng"
    assert unit["province"]["next_route_change"] == {
        "route": "electronic",
        "effective": "2027-01-01",
    }
