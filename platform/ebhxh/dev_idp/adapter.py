"""Litestar requests and responses in the shapes Authlib's server side works on. Authlib is
synchronous and framework-neutral: the handler reads the query and the form first (the only
awaits), then hands this request over; Authlib's `(status, body, headers)` answers come
back as Litestar responses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from litestar import Request, Response

Pairs = list[tuple[str, str]]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    """Query and form parameters together, as an OAuth request's parameters; the first
    value of a repeated parameter is its value, `datalist` keeps them all (Authlib refuses
    repeats through it).
    """

    def __init__(self, pairs: Pairs) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class LitestarOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], query: Pairs, form: Pairs
    ) -> None:
        # Litestar's headers are case-insensitive, which Authlib's lookups rely on.
        super().__init__(method=method, uri=uri, headers=headers)
        self._args = dict(reversed(query))  # reversed: the first of repeated values wins
        self._form = dict(reversed(form))
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


def _pairs(items: Iterable[tuple[str, Any]]) -> Pairs:
    return [(key, value) for key, value in items if isinstance(value, str)]


async def oauth_request(
    request: Request[Any, Any, Any], *, drop: frozenset[str] = frozenset()
) -> LitestarOAuth2Request:
    """`request` for Authlib, without the form fields named in `drop` (the login form's
    own fields are not OAuth parameters).
    """
    form: Pairs = []
    if request.method == "POST":
        form = [(k, v) for k, v in _pairs((await request.form()).multi_items()) if k not in drop]
    query = _pairs(request.query_params.multi_items())
    return LitestarOAuth2Request(request.method, str(request.url), request.headers, query, form)


def litestar_response(
    status: int, body: Any, headers: Iterable[tuple[str, str]]
) -> Response[bytes]:
    """An Authlib answer as a Litestar response (JSON bodies serialised here)."""
    header_map = dict(headers)
    media_type = header_map.pop("Content-Type", "application/json")
    content = json.dumps(body).encode() if isinstance(body, dict) else str(body or "").encode()
    return Response(content, status_code=status, headers=header_map, media_type=media_type)
