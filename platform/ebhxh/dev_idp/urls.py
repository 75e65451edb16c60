"""The registered client's id, and where the development provider and that client live:
both on the platform's own address (`Settings.host`/`port`), the provider under /dev-idp,
the client's callback at /auth/callback.
"""

from __future__ import annotations

from ebhxh.settings import Settings

CLIENT_ID = "ebhxh-embedded"
MOUNT_PATH = "/dev-idp"
CALLBACK_PATH = "/auth/callback"
_WILDCARDS = {"0.0.0.0", "::", ""}  # noqa: S104 - names of "every address", not a bind


def _base(settings: Settings, host: str | None = None) -> str:
    # A server bound to every address is reached on loopback from the same machine.
    name = host or ("127.0.0.1" if settings.host in _WILDCARDS else settings.host)
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{settings.port}"


def issuer(settings: Settings) -> str:
    """The provider's issuer identifier, which is also its discovery base URL."""
    return _base(settings) + MOUNT_PATH


def redirect_uris(settings: Settings) -> tuple[str, ...]:
    """The registered client's redirect URIs: the platform's callback on its address, and
    on `localhost` too when that address is the IPv4 loopback (a browser may use either).
    """
    uris = [_base(settings) + CALLBACK_PATH]
    if settings.host in _WILDCARDS or settings.host == "127.0.0.1":
        uris.append(_base(settings, "localhost") + CALLBACK_PATH)
    return tuple(uris)
