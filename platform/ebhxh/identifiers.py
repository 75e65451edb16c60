"""Validators for the domain's identifiers: the tax code (MST) and the unit code.

Each `normalise_*` function returns the canonical form or raises `ProblemError` with the
stable code of what is wrong and the field it was given for. The tax-code rule is
python-stdnum's `stdnum.vn.mst` (check digit over digits 1-9 with weights 31..3, digits 3-9
not all zero, a branch suffix other than 000); we only map its exceptions to our codes.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

from ebhxh.errors import ErrorCode, ProblemError

UNIT_CODE_PATTERN = re.compile(r"^[A-Z0-9]{7}$")


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
    if not UNIT_CODE_PATTERN.match(code):
        raise ProblemError(ErrorCode.UNIT_CODE_FORMAT, field=field)
    return code
