"""Identifier validators: tax code (MST) and unit code, with their stable error codes."""

from __future__ import annotations

import pytest
from stdnum.vn import mst

from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.identifiers import normalise_tax_code, normalise_unit_code
from tests.conftest import valid_tax_code


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0100109106", "0100109106"),
        (" 0100109106 ", "0100109106"),
        ("01.00.109.106", "0100109106"),
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        ("0312687878 - 001", "0312687878-001"),
    ],
)
def test_valid_tax_codes_are_normalised(given: str, expected: str) -> None:
    assert normalise_tax_code(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("0100109107", ErrorCode.TAX_CODE_CHECKSUM),
        ("0100233480", ErrorCode.TAX_CODE_CHECKSUM),
        ("0100000000", ErrorCode.TAX_CODE_ZERO_BODY),
        ("0100109106-000", ErrorCode.TAX_CODE_BRANCH_SUFFIX),
        ("12345", ErrorCode.TAX_CODE_FORMAT),
        ("01001091O6", ErrorCode.TAX_CODE_FORMAT),
        ("", ErrorCode.TAX_CODE_FORMAT),
        ("0100109106-01", ErrorCode.TAX_CODE_FORMAT),
    ],
)
def test_invalid_tax_codes_name_what_is_wrong(given: str, code: ErrorCode) -> None:
    with pytest.raises(ProblemError) as raised:
        normalise_tax_code(given, field="nodes[0].tax_code")
    assert raised.value.code is code
    assert raised.value.field == "nodes[0].tax_code"


def test_check_digit_of_ten_is_invalid() -> None:
    # Find a body whose weighted sum is 0 mod 11: its check "digit" would be 10.
    body = next(f"01{n:07d}" for n in range(1, 10**6) if mst.calc_check_digit(f"01{n:07d}") == "10")
    for last in "0123456789":
        with pytest.raises(ProblemError) as raised:
            normalise_tax_code(body + last)
        assert raised.value.code is ErrorCode.TAX_CODE_CHECKSUM


def test_agrees_with_python_stdnum_on_many_inputs() -> None:
    for seed in range(0, 3000, 7):
        for candidate in (f"{seed * 3331:010d}", valid_tax_code(seed), f"{seed:010d}"):
            ours = True
            try:
                normalise_tax_code(candidate)
            except ProblemError:
                ours = False
            assert ours == mst.is_valid(candidate), candidate


@pytest.mark.parametrize("given", ["TZH490L", "0000001", "ABCDEFG", " TZH490L "])
def test_unit_codes_of_the_right_shape(given: str) -> None:
    assert normalise_unit_code(given) == given.strip()


@pytest.mark.parametrize("given", ["tzh490l", "TZH490", "TZH490LL", "TZH-90L", "TZH 90L", ""])
def test_unit_codes_of_the_wrong_shape(given: str) -> None:
    with pytest.raises(ProblemError) as raised:
        normalise_unit_code(given)
    assert raised.value.code is ErrorCode.UNIT_CODE_FORMAT
    assert raised.value.field == "unit_code"
