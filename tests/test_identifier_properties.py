"""Property tests of every identifier validator on generated input: the tax code against
python-stdnum, the others against a plain reference rule written independently here.

The generated text mixes ASCII digits and letters with other scripts' digits ("٣", a fullwidth zero,
"²"), Unicode spaces and newlines: the inputs a regular expression is most often wrong on.
`EBHXH_PROOF=long` raises the example counts.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.vn import mst

from ebhxh.dossiers.schemas import ActivationIn
from ebhxh.errors import ErrorCode, ProblemError
from ebhxh.gateway.contract import InsuredEmployee
from ebhxh.identifiers import (
    normalise_activation_code,
    normalise_number_prefix,
    normalise_tax_code,
    normalise_tracking_number,
    normalise_unit_code,
)
from ebhxh.paper_route.schemas import SentIn
from tests.proof_settings import examples

ASCII_DIGITS = "0123456789"
TRICKY = "٣\uff10²\u07c0\n\t \u3000\u00a0\x1c-.Aaz"
"""Other scripts' digits, a superscript, Unicode spaces, a newline, separators, letters."""
digitish = st.text(alphabet=st.sampled_from(ASCII_DIGITS * 4 + TRICKY), max_size=16)
anything = st.text(max_size=16)
numberish = st.builds(
    lambda head, digits, tail: head + digits + tail,
    st.sampled_from(["", "", " ", "٣"]),
    st.text(alphabet=ASCII_DIGITS, min_size=9, max_size=13),
    st.sampled_from(["", "", "\n", " ", "٣", "\uff10"]),
)
"""Runs of ASCII digits around the expected length, sometimes with one odd character."""
MANY = examples(short=600, long=20_000)
SOME = examples(short=300, long=10_000)


def ascii_digits(value: str, length: int) -> bool:
    return len(value) == length and all(c in ASCII_DIGITS for c in value)


def _accepts_tax_code(value: str) -> bool:
    try:
        normalise_tax_code(value)
    except ProblemError:
        return False
    return True


@settings(max_examples=examples(short=3000, long=100_000))
@given(st.one_of(st.text(alphabet=ASCII_DIGITS, min_size=8, max_size=14), digitish))
def test_tax_code_acceptance_matches_python_stdnum(value: str) -> None:
    assert _accepts_tax_code(value) == mst.is_valid(value)


@settings(max_examples=examples(short=1000, long=20_000))
@given(st.text(alphabet=ASCII_DIGITS, min_size=9, max_size=9), st.integers(0, 999))
def test_valid_tax_codes_normalise_to_a_fixed_point(body: str, branch: int) -> None:
    check = mst.calc_check_digit(body)
    if len(check) != 1 or body[2:] == "0000000":
        return
    for candidate in (body + check, f"{body}{check}-{branch:03d}"):
        if not mst.is_valid(candidate):
            continue
        normal = normalise_tax_code(candidate)
        assert re.fullmatch(r"[0-9]{10}(-[0-9]{3})?", normal)
        assert normalise_tax_code(normal) == normal


@settings(max_examples=MANY)
@given(st.one_of(anything, st.text(alphabet="ABCZ0129 \n٣\uff41", max_size=10)))
def test_unit_codes_accept_exactly_seven_upper_alphanumerics(value: str) -> None:
    core = value.strip()
    if len(core) == 7 and all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" for c in core):
        assert normalise_unit_code(value) == core
    else:
        with pytest.raises(ProblemError) as refused:
            normalise_unit_code(value)
        assert refused.value.code is ErrorCode.UNIT_CODE_FORMAT


EMPLOYEE: dict[str, Any] = {
    "social_insurance_number": "0123456789",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": dt.date(1990, 1, 2).isoformat(),
    "gender": "male",
    "citizen_id": "001090012345",
    "position": "Kế toán",
    "salary_kind": "amount",
    "salary_amount_vnd": 10_000_000,
    "contract_type": "indefinite",
    "contract_start": "2020-01-01",
    "status": "active",
}


def _decodes_employee(**overrides: str) -> bool:
    try:
        msgspec.convert({**EMPLOYEE, **overrides}, InsuredEmployee)
    except msgspec.ValidationError:
        return False
    return True


def test_the_reference_employee_decodes() -> None:
    assert _decodes_employee()


@settings(max_examples=MANY)
@given(st.one_of(digitish, numberish))
def test_social_insurance_numbers_from_vss_are_exactly_ten_ascii_digits(value: str) -> None:
    assert _decodes_employee(social_insurance_number=value) == ascii_digits(value, 10)


@settings(max_examples=MANY)
@given(st.one_of(digitish, numberish))
def test_citizen_ids_from_vss_are_exactly_twelve_ascii_digits(value: str) -> None:
    assert _decodes_employee(citizen_id=value) == ascii_digits(value, 12)


@settings(max_examples=SOME)
@given(st.one_of(digitish, anything))
def test_a_number_prefix_filter_takes_one_to_ten_ascii_digits(value: str) -> None:
    core = value.strip()
    if 1 <= len(core) <= 10 and all(c in ASCII_DIGITS for c in core):
        assert normalise_number_prefix(value) == core
    else:
        with pytest.raises(ProblemError) as refused:
            normalise_number_prefix(value)
        assert (refused.value.code, refused.value.status) == (ErrorCode.INVALID_PARAMETER, 400)


@settings(max_examples=MANY)
@given(st.one_of(digitish, st.text(alphabet=ASCII_DIGITS + " \n٣", min_size=5, max_size=9)))
def test_activation_codes_are_six_ascii_digits_between_spaces(value: str) -> None:
    try:
        code = normalise_activation_code(msgspec.convert({"code": value}, ActivationIn).code)
    except msgspec.ValidationError:
        code = None
    expected = value.strip() if ascii_digits(value.strip(), 6) else None
    assert code == expected


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
tracking_like = st.builds(
    lambda a, n, b, pad: f"{pad}{a}{n}{b}{pad}",
    st.text(alphabet=LETTERS + "٣É", min_size=2, max_size=2),
    st.text(alphabet=ASCII_DIGITS + "٣\uff10", min_size=8, max_size=10),
    st.text(alphabet=LETTERS + "٣", min_size=2, max_size=2),
    st.sampled_from(["", " ", "\n", "\u3000"]),
)


def _tracking_reference(value: str) -> str | None:
    core = value.strip()
    ok = (
        len(core) == 13
        and all(c in LETTERS for c in core[:2] + core[11:])
        and all(c in ASCII_DIGITS for c in core[2:11])
    )
    return core.upper() if ok else None


@settings(max_examples=MANY)
@given(st.one_of(tracking_like, anything))
def test_tracking_numbers_are_upu_s10_in_ascii(value: str) -> None:
    body = {"sent_on": "2026-01-05", "channel": "post", "tracking_number": value}
    try:
        sent = msgspec.convert(body, SentIn)
        number = normalise_tracking_number(sent.tracking_number or "")
    except msgspec.ValidationError:
        number = None
    assert number == _tracking_reference(value)
