r"""Validators for the domain's identifiers, in one place: the tax code (MST), the unit code,
the social-insurance number, the citizen id (CCCD), the activation code, the postal
tracking number.

Each `normalise_*` function returns the canonical form or raises `ProblemError` with the
stable code of what is wrong and the field it was given for. The tax-code rule is
python-stdnum's `stdnum.vn.mst` (check digit over digits 1-9 with weights 31..3, digits 3-9
not all zero, a branch suffix other than 000); we only map its exceptions to our codes.

The `*_PATTERN` strings are for msgspec (and so the OpenAPI document). Digits are written
`[0-9]`, never `\d`: in Python `\d` also matches other scripts' digits ("١٢٣"). msgspec
matches with `re.search`, where `$` also matches before a final newline, so a pattern
without surrounding `\s*` is paired with an `is_*` check that takes the whole string.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

from ebhxh.errors import ErrorCode, ProblemError

UNIT_CODE_PATTERN = re.compile(r"^[A-Z0-9]{7}$")
SOCIAL_INSURANCE_NUMBER_PATTERN = r"^[0-9]{10}$"
"""A social-insurance number (mã số BHXH): 10 digits."""
CITIZEN_ID_PATTERN = r"^[0-9]{12}$"
"""A citizen id (CCCD): 12 digits."""
ACTIVATION_CODE_PATTERN = r"^\s*[0-9]{6}\s*$"
"""VSS's activation code: 6 digits (spaces around it, as pasted from an email, are dropped)."""
TRACKING_NUMBER_PATTERN = r"^\s*[A-Za-z]{2}[0-9]{9}[A-Za-z]{2}\s*$"
"""A postal item id in the UPU S10 shape that VNPost uses (e.g. EE123456789VN)."""
_SOCIAL_INSURANCE_NUMBER = re.compile(r"[0-9]{10}")
_CITIZEN_ID = re.compile(r"[0-9]{12}")
_NUMBER_PREFIX = re.compile(r"[0-9]{1,10}")


def normalise_tax_code(value: str, *, field: str = "tax_code") -> str:
    """The tax code as `NNNNNNNNNN` or `NNNNNNNNNN-NNN` (separators and spaces removed)."""
    compact = mst.compact(value)
    try:
        mst.validate(compact)
    except stdnum_errors.InvalidChecksum as exc:
        raise ProblemError(
            ErrorCode.TAX_CODE_CHECKSUM, field=field, params={"value": mst.format(compact)}
        ) from exc
    except stdnum_errors.InvalidComponent as exc:
        code = (
            ErrorCode.TAX_CODE_ZERO_BODY
            if compact[2:9] == "0000000"
            else ErrorCode.TAX_CODE_BRANCH_SUFFIX
        )
        raise ProblemError(code, field=field) from exc
    except stdnum_errors.ValidationError as exc:
        raise ProblemError(ErrorCode.TAX_CODE_FORMAT, field=field) from exc
    return str(mst.format(compact))


def normalise_unit_code(value: str, *, field: str = "unit_code") -> str:
    """A unit code: exactly 7 upper-case letters or digits, opaque beyond that shape.

    Surrounding spaces are dropped but case is not folded: the office issues upper case, and
    silently upper-casing a mistyped code would hide the mistake.
    """
    code = value.strip()
    if not UNIT_CODE_PATTERN.fullmatch(code):
        raise ProblemError(ErrorCode.UNIT_CODE_FORMAT, field=field)
    return code


def is_social_insurance_number(value: str) -> bool:
    """Exactly 10 ASCII digits, nothing after (not even a newline)."""
    return _SOCIAL_INSURANCE_NUMBER.fullmatch(value) is not None


def is_citizen_id(value: str) -> bool:
    """Exactly 12 ASCII digits, nothing after (not even a newline)."""
    return _CITIZEN_ID.fullmatch(value) is not None


def normalise_number_prefix(value: str, *, field: str = "social_insurance_number") -> str:
    """The start of a social-insurance number, for a search: 1 to 10 ASCII digits."""
    prefix = value.strip()
    if _NUMBER_PREFIX.fullmatch(prefix) is None:
        raise ProblemError(ErrorCode.INVALID_PARAMETER, status=400, field=field)
    return prefix


def normalise_activation_code(value: str) -> str:
    """An activation code already matched by `ACTIVATION_CODE_PATTERN`: its 6 digits."""
    return value.strip()


def normalise_tracking_number(value: str) -> str:
    """A tracking number already matched by `TRACKING_NUMBER_PATTERN`, upper-cased."""
    return value.strip().upper()
