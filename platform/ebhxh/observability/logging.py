"""structlog configuration: JSON lines with request id, tenant and user bound as context.

Secrets never reach a log line: the `redact_secrets` processor masks any value whose key
names a secret, and any string that looks like one of our API tokens, before rendering.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_WORDS = frozenset(
    {"token", "password", "passwd", "secret", "pin", "authorization", "cookie", "sad"}
)
REDACTED = "[redacted]"
_TOKEN_PATTERN = re.compile(r"ebhxh(?:dev)?_[A-Za-z0-9_\-]{20,}")
"""An API token (`ebhxh_…`) or a device credential (`ebhxhdev_…`)."""


def _is_secret_key(key: str) -> bool:
    name = key.lower().replace("-", "_")
    return bool(SECRET_WORDS.intersection(name.split("_"))) or "private_key" in name


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _TOKEN_PATTERN.sub(REDACTED, value) if "ebhxh" in value else value
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(str(k)) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def redact_secrets(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask values under secret-naming keys (`token`, `client_secret`, `pin`, `private_key`:
    any `_`-separated word of the key), at any depth, and token-shaped text anywhere,
    including a formatted exception (this runs after `format_exc_info`).
    """
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if _is_secret_key(key) else _redact(value)
    return event_dict


def configure_logging(level: str = "INFO", json: bool = True, file: str | None = None) -> None:
    """Route structlog and the standard library's logging through one JSON renderer, to
    stderr and (with `file`) appended to a file. The handlers it replaces are closed.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if file:
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    for replaced in root.handlers:
        replaced.close()
    root.handlers = handlers
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; URLs may carry one-time codes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per SMTP step
