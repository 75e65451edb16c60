"""Property tests: the identifier validators against python-stdnum on generated input."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.vn import mst

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.identifiers import normalise_tax_code, normalise_unit_code

digits = st.text(alphabet="0123456789", min_size=8, max_size=14)
noisy = st.text(alphabet="0123456789 -.", min_size=0, max_size=20)


def _accepts(value: str) -> bool:
    try:
        normalise_tax_code(value)
    except ProblemError:
        return False
    return True


@settings(max_examples=3000)
@given(st.one_of(digits, noisy))
def test_tax_code_acceptance_matches_python_stdnum(value: str) -> None:
    assert _accepts(value) == mst.is_valid(value)


@settings(max_examples=1000)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 999))
def test_valid_tax_codes_normalise_to_a_fixed_point(body: str, branch: int) -> None:
    check = mst.calc_check_digit(body)
    if len(check) != 1 or body[2:] == "0000000":
        return
    for candidate in (body + check, f"{body}{check}-{branch:03d}"):
        if not mst.is_valid(candidate):
            continue
        normal = normalise_tax_code(candidate)
        assert re.fullmatch(r"\d{10}(-\d{3})?", normal)
        assert normalise_tax_code(normal) == normal


@given(st.text(max_size=12))
def test_unit_codes_accept_exactly_seven_upper_alphanumerics(value: str) -> None:
    if re.fullmatch(r"[A-Z0-9]{7}", value.strip()):
        assert normalise_unit_code(value) == value.strip()
    else:
        with pytest.raises(ProblemError) as refused:
            normalise_unit_code(value)
        assert refused.value.code is ErrorCode.UNIT_CODE_FORMAT
