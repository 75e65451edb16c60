"""The VSS sandbox's own rules that the end-to-end tests do not reach."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from ebhxh.documents.forms import FormKind, FormRequest, UnitParticulars
from ebhxh.documents.xml_declaration import xml_declaration
from ebhxh.gateway.contract import DossierKind, Submission
from ebhxh.vss_sandbox.service import Refusal, _refuse_unlike_declaration, new_unit_code

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<HoSo><ThongTinDonVi><TEN_DVI>&lol3;</TEN_DVI></ThongTinDonVi></HoSo>"""


def _submission(**overrides: object) -> Submission:
    values: dict[str, object] = {
        "kind": DossierKind.REGISTER_UNIT_CODE,
        "tax_code": "0100109106",
        "unit_name": "Công ty Cổ phần Sông Hồng",
        "email": "a@b.vn",
        "provider": "eBHXH",
        "document": b"",
    }
    values.update(overrides)
    return Submission(**values)  # type: ignore[arg-type]


def _declaration(name: str, tax_code: str = "0100109106") -> bytes:
    return xml_declaration(
        FormRequest(
            kind=FormKind.TK3_TS,
            unit=UnitParticulars(name=name, tax_code=tax_code),
            drawn_up_on=dt.date(2026, 11, 25),
        )
    )


def test_a_declaration_that_says_what_the_submission_says_passes() -> None:
    nfd = unicodedata.normalize("NFD", "Công ty Cổ phần Sông Hồng")
    _refuse_unlike_declaration(_declaration("Công ty Cổ phần Sông Hồng"), _submission())
    _refuse_unlike_declaration(_declaration(nfd), _submission(unit_name=nfd))


@pytest.mark.parametrize(
    "submission",
    [_submission(tax_code="0101243150"), _submission(unit_name="Công ty Khác")],
)
def test_a_declaration_unlike_the_submission_is_refused(submission: Submission) -> None:
    with pytest.raises(Refusal) as refused:
        _refuse_unlike_declaration(_declaration("Công ty Cổ phần Sông Hồng"), submission)
    assert refused.value.code == "declaration_mismatch"


def test_an_entity_bomb_is_refused_without_expanding() -> None:
    with pytest.raises(Refusal) as refused:
        _refuse_unlike_declaration(BILLION_LAUGHS, _submission())
    assert refused.value.code == "declaration_forbidden_xml"


def test_unit_codes_have_the_real_shape() -> None:
    codes = {new_unit_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(
        len(c) == 7 and c[:3].isalpha() and c[3:6].isdigit() and c[6].isalpha() and c.isupper()
        for c in codes
    )
