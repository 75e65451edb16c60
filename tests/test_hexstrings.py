"""The fast hex-string reader gives pyHanko's answer (value, error, stream position) on
any input, the odd forms it hands back to pyHanko included.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils.misc import PdfStreamError

from ebhxh.signing import hexstrings

pyhanko_reader = hexstrings._pyhanko_reader
# Hex digits, PDF whitespace, and what makes pyHanko's reader take another path: a comment
# (which may hold a ">"), a stray character, the closing ">".
ALPHABET = b"0123456789abcdefABCDEF \n\r\t\x0c\x00%>xG("


def _outcome(reader: object, data: bytes) -> tuple[object, int]:
    stream = io.BytesIO(data)
    try:
        value = reader(stream)  # type: ignore[operator]
    except PdfStreamError as exc:
        return ("error", str(exc)), -1
    return (type(value).__name__, bytes(value.original_bytes)), stream.tell()


@given(st.lists(st.sampled_from(list(ALPHABET)), max_size=60), st.binary(max_size=8))
def test_the_same_as_pyhankos_reader(body: list[int], after: bytes) -> None:
    data = b"<" + bytes(body) + after
    assert _outcome(hexstrings.read_hex_string, data) == _outcome(pyhanko_reader, data)


@pytest.mark.parametrize(
    "data",
    [
        b"<>",
        b"<4E6F762073686D6F7A206B6120706F702E> rest",
        b"<901FA3>",
        b"<901FA>",  # odd: a final 0
        b"<90 1F\nA3\r\n\t\x00\x0c>",
        b"<FEFF00410042>",  # a UTF-16 text string
        b"<AB % a comment with > inside\n CD>",
        b"<AB % a comment without the end",
        b"<ABxCD>",
        b"<ABCD",
        b"<" + b"0123456789abcdef" * 2000 + b">",  # longer than one chunk read
    ],
)
def test_the_forms_that_matter(data: bytes) -> None:
    assert _outcome(hexstrings.read_hex_string, data) == _outcome(pyhanko_reader, data)


def test_installed_in_pyhankos_reader() -> None:
    from pyhanko.pdf_utils import generic

    import ebhxh.signing.validation  # noqa: F401 - installs it

    assert generic.read_hex_string_from_stream is hexstrings.read_hex_string
