"""Text helpers for Vietnamese input: folding for diacritic- and case-insensitive matching."""

from __future__ import annotations

import re
import unicodedata

PRINTABLE = r"^[^\x00-\x1f\x7f]*(?![\s\S])"
"""A pattern for free text fields: no control characters (NUL breaks PostgreSQL text and
XML; the forms have no use for tabs or newlines in a name or an address). It ends with
"followed by nothing" rather than `$`, which in Python (msgspec checks patterns with `re`)
also matches before a final newline; the lookahead means the same in the OpenAPI
document's ECMAScript dialect."""


def strip_diacritics(text: str) -> str:
    """Without diacritics ("Đà Nẵng" -> "Da Nang"): NFD, drop combining marks, đ/Đ -> d/D."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Bà Rịa - Vũng Tàu" -> "bariavungtau"."""
    return re.sub(r"[^a-z0-9]", "", strip_diacritics(text).lower())
