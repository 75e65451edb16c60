"""How large a request body each route accepts, refused early with 413 `payload_too_large`.

Litestar checks `Content-Length` before reading and counts the bytes while it streams a
body without one, so an oversized body is never read whole. Every route has the small JSON
default; the few that take more say so with `request_max_body_size=` in their decorator.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

JSON_BODY = 64 * KIB
"""The default: a form's worth of JSON (the largest, a unit's declaration, is ~2 KiB)."""
ORGANISATION_TREE = 4 * MIB
"""The whole organisation tree in one body (~10,000 nodes)."""
DEVICE_CERTIFICATES = 256 * KIB
"""A token's certificates, DER in base64 (at most 32)."""
SUBMITTED_DOSSIER = 16 * MIB
"""A dossier sent to the VSS sandbox: the signed PDF and XML declaration, in base64."""
