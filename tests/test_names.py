"""Remembered prepared name values (`ebhxh.signing.names`) are asn1crypto's own: for any
name, the same values, the same `hashable`, the same equality, the same refusal.
"""

from __future__ import annotations

from asn1crypto import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from ebhxh.signing import names

ATTRIBUTES = ("common_name", "organization_name", "organizational_unit_name", "locality_name")
TEXT = st.text(
    alphabet=st.sampled_from("aAbBđĐơƠ  ếẾ-.'0123456789\u00a0\u200b\u0301"), min_size=1, max_size=12
)


def _name(values: dict[str, str]) -> x509.Name:
    return x509.Name.build(values)


def _asn1crypto(rdn: x509.RelativeDistinguishedName) -> dict[str, str] | type[Exception]:
    try:
        return names._asn1crypto_values(rdn, rdn)
    except Exception as exc:  # noqa: BLE001 - the refusal must be the same
        return type(exc)


def _remembered(rdn: x509.RelativeDistinguishedName) -> dict[str, str] | type[Exception]:
    try:
        return names.prepared_values(rdn, rdn)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


def _compared(a: x509.Name, b: x509.Name) -> tuple[bool, bool] | type[Exception]:
    try:
        return a == b, a.hashable == b.hashable
    except Exception as exc:  # noqa: BLE001
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(ATTRIBUTES), TEXT, min_size=1))
def test_remembered_values_are_asn1cryptos(values: dict[str, str]) -> None:
    name = x509.Name.load(_name(values).dump())  # as read from a certificate
    for rdn in name.chosen:
        assert _remembered(rdn) == _asn1crypto(rdn)
        assert _remembered(rdn) == _remembered(rdn)  # the second answer is the remembered one
    # Compared with the name written otherwise (spacing, case), and with itself: the same
    # answers as asn1crypto's own preparation gives.
    other = _name({key: f"  {value.upper()}  " for key, value in values.items()})
    names.install()
    remembered = [_compared(name, other), _compared(name, name)]
    x509.RelativeDistinguishedName._get_values = names._asn1crypto_values
    try:
        own = [_compared(name, other), _compared(name, name)]
    finally:
        names.install()
    assert remembered == own


def test_installed_and_bounded() -> None:
    names.install()
    assert x509.RelativeDistinguishedName._get_values is names.prepared_values
    assert names._prepared.cache_info().maxsize == names.REMEMBERED
    long_rdn = _name({"common_name": "x" * names.LONGEST}).chosen[0]
    before = names._prepared.cache_info().currsize
    assert names.prepared_values(long_rdn, long_rdn) == names._asn1crypto_values(long_rdn, long_rdn)
    assert names._prepared.cache_info().currsize == before  # prepared, not remembered
    rdn = _name({"common_name": "Công ty Sông Hồng"}).chosen[0]
    names.prepared_values(rdn, rdn)["common_name"] = "changed by a caller"
    assert names.prepared_values(rdn, rdn) == names._asn1crypto_values(rdn, rdn)
    a = _name({"common_name": "Công ty Sông Hồng"})
    assert a == _name({"common_name": "  CÔNG TY   SÔNG HỒNG "})
    assert a != _name({"common_name": "Công ty Sông Đà"})
