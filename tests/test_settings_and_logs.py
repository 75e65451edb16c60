"""Settings from the environment, and logs that never carry a secret."""

from __future__ import annotations

import json
import logging

import msgspec
import pytest
import structlog

from ebhxh.observability.logging import REDACTED, configure_logging
from ebhxh.settings import Settings, SettingsError, describe


def test_every_setting_is_documented() -> None:
    rows = describe()
    assert {row[0] for row in rows} == {
        "EBHXH_" + f.name.upper() for f in msgspec.structs.fields(Settings)
    }
    for variable, _, description in rows:
        assert len(description) > 20, variable


def test_no_settings_means_the_embedded_default() -> None:
    settings = Settings.from_env({})
    assert settings.embedded
    assert settings.redis_url is None
    assert settings.should_bootstrap_demo_tenant


def test_settings_are_parsed_from_text() -> None:
    settings = Settings.from_env(
        {
            "EBHXH_DATABASE_URL": "postgresql://u@h/db",
            "EBHXH_PORT": "9000",
            "EBHXH_PLUGINS_ALLOW": "a, b,,c",
            "EBHXH_LOG_JSON": "false",
            "OTHER": "ignored",
        }
    )
    assert (settings.port, settings.plugins_allow, settings.log_json) == (
        9000,
        ("a", "b", "c"),
        False,
    )
    assert not settings.embedded
    assert not settings.should_bootstrap_demo_tenant


@pytest.mark.parametrize(
    ("variable", "value"),
    [("EBHXH_PORT", "0"), ("EBHXH_PORT", "x"), ("EBHXH_LOG_JSON", "perhaps")],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_secrets_are_redacted_from_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    token = "ebhxh_" + "A1b2C3d4" * 5
    log = structlog.get_logger("test")
    log.info("signed_in", token=token, client_secret="s3cr3t", pin="1234", unit="HQ")
    log.info("message_with_token", detail=f"bad header Bearer {token} given")
    logging.getLogger("stdlib").warning("stdlib says %s", token)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 3
    text = json.dumps(lines)
    assert token not in text and "s3cr3t" not in text and "1234" not in text
    assert lines[0]["token"] == REDACTED and lines[0]["unit"] == "HQ"
    assert REDACTED in lines[1]["detail"]
    assert REDACTED in lines[2]["event"]


def test_secrets_in_nested_values_and_exceptions_are_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    token = "ebhxh_" + "Z9y8X7w6" * 5
    log = structlog.get_logger("test")
    try:
        raise ValueError(f"bad credential {token}")
    except ValueError:
        log.exception("failed", details={"pin": "4321", "inner": [{"client_secret": "s"}]})
    text = capsys.readouterr().err
    assert token not in text and "4321" not in text and '"s"' not in text
    assert "ValueError" in text and REDACTED in text
