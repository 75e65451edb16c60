"""The insured employees of a sandbox unit: generated, deterministic, and lazy.

Employee `i` of a unit is derived from a hash of (unit code, i) alone, so any page is
computed on its own (nothing is held per unit but its size and the few changes made by
the test knob) and the same unit always lists the same people. Their particulars have the
real formats: a 10-digit social-insurance number (the unit's province, then a number that
grows with `i`, so the list is in ascending order as the gateway contract says), a 12-digit
citizen ID (CCCD: birth province, century/gender digit, 2 birth-year digits, 6 digits)
that agrees with the gender and date of birth, a Vietnamese name in NFC.

Changes (`Change`) are rounds of the test knob: some employees join (new indices after the
last), some leave (no longer listed), some get a raise (their salary's version goes up).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
import unicodedata
from collections.abc import Sequence
from typing import Any

import msgspec

from ebhxh.gateway.contract import (
    Allowance,
    Gender,
    InsuredEmployee,
    SalaryKind,
)

MAX_PAGE = 5000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Birth-province codes of the citizen ID (the 63 provinces' codes it was issued under).
CCCD_PROVINCES = _words(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 "
    "034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 "
    "067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
)
FAMILY_NAMES = _words(
    "Nguyễn Nguyễn Nguyễn Nguyễn Trần Trần Lê Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ "
    "Hồ Ngô Dương Lý Đinh Trịnh Mai Tạ"
)
MIDDLE_NAMES = {
    Gender.MALE: _words("Văn Văn Hữu Đức Minh Quang Công Thành Xuân Gia"),
    Gender.FEMALE: _words("Thị Thị Thị Ngọc Thu Thanh Mai Phương Diệu Bích"),
}
GIVEN_NAMES = {
    Gender.MALE: _words(
        "An Bình Cường Dũng Đạt Giang Hải Hiếu Hoàng Hùng Huy Khải Khánh Kiên Lâm Long Mạnh "
        "Nam Nghĩa Phong Phúc Quân Quang Sơn Tâm Thắng Thịnh Toàn Trung Tuấn Việt Vinh"
    ),
    Gender.FEMALE: _words(
        "Anh Châu Chi Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Huyền Hương Lan Liên Linh "
        "Loan Ly Mai My Nga Ngân Nhung Oanh Phương Quyên Thảo Thoa Thủy Trang Trâm Vy Yến"
    ),
}
POSITIONS = (
    "Công nhân sản xuất",
    "Công nhân sản xuất",
    "Công nhân sản xuất",
    "Nhân viên kinh doanh",
    "Nhân viên văn phòng",
    "Kế toán",
    "Kỹ sư",
    "Lái xe",
    "Bảo vệ",
    "Trưởng phòng",
    "Phó giám đốc",
    "Giám đốc",
)
CONTRACT_TYPES = ("indefinite", "indefinite", "fixed_12_36_months", "under_12_months")
STATUSES = ("participating",) * 28 + ("maternity_leave", "unpaid_leave", "sick_leave")
# The public-sector scale: coefficients of the base salary, one step every 0.33.
COEFFICIENTS = tuple(f"{2.34 + 0.33 * step:.2f}" for step in range(9))
RAISE_PERCENT = 7


FIRST_BIRTHDAY = dt.date(1962, 1, 1).toordinal()

# The few distinct names and allowances are made once (a page is thousands of rows).


@functools.lru_cache(maxsize=16_384)
def _name(gender: Gender, family: int, middle: int, given: int) -> str:
    parts = (
        FAMILY_NAMES[family % len(FAMILY_NAMES)],
        MIDDLE_NAMES[gender][middle % len(MIDDLE_NAMES[gender])],
        GIVEN_NAMES[gender][given % len(GIVEN_NAMES[gender])],
    )
    return unicodedata.normalize("NFC", " ".join(parts))


@functools.lru_cache(maxsize=256)
def _public_allowances(position_tenths: int, seniority: int) -> tuple[Allowance, ...]:
    return (
        Allowance(name="Phụ cấp chức vụ", coefficient=f"0.{position_tenths}0"),
        Allowance(name="Phụ cấp thâm niên nghề", percent=seniority),
    )


@functools.lru_cache(maxsize=64)
def _responsibility(amount: int) -> tuple[Allowance, ...]:
    return (Allowance(name="Phụ cấp trách nhiệm", amount_vnd=amount),)


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One round of the test knob: who joined (a count: new indices), left, got a raise."""

    joined: int
    left: tuple[int, ...]
    raised: tuple[int, ...]


class Workforce:
    """A unit's employees: `size` generated people, after the rounds of `changes`."""

    def __init__(self, unit_code: str, size: int, changes: Sequence[Change] = ()) -> None:
        self.unit_code = unit_code
        self.size = size
        self.changes = tuple(changes)
        self.count = size + sum(change.joined for change in self.changes)
        """Indices ever used (those who left included)."""
        self.left = frozenset(i for change in self.changes for i in change.left)
        self.raises: dict[int, int] = {}
        for change in self.changes:
            for i in change.raised:
                self.raises[i] = self.raises.get(i, 0) + 1
        digest = hashlib.blake2b(unit_code.encode(), digest_size=8).digest()
        self._province = CCCD_PROVINCES[digest[0] % len(CCCD_PROVINCES)][1:]
        # Leave room for 8 numbers per index up to 2 million indices (8 digits in all).
        self._base = int.from_bytes(digest[1:5], "big") % 80_000_000

    @property
    def total(self) -> int:
        """Employees listed now."""
        return self.count - len(self.left)

    def _digest(self, index: int) -> bytes:
        return hashlib.blake2b(f"{self.unit_code}:{index}".encode(), digest_size=32).digest()

    def social_insurance_number(self, index: int, digest: bytes | None = None) -> str:
        spread = (digest or self._digest(index))[31] % 8
        return f"{self._province}{self._base + index * 8 + spread:08d}"

    def page(self, cursor: int, limit: int) -> tuple[list[InsuredEmployee], int | None]:
        """Up to `limit` listed employees from index `cursor`; the next cursor or None."""
        employees: list[InsuredEmployee] = []
        index = cursor
        while index < self.count and len(employees) < limit:
            if index not in self.left:
                employees.append(self.employee(index))
            index += 1
        return employees, (index if index < self.count else None)

    def employee(self, index: int) -> InsuredEmployee:
        """Employee `index` as VSS lists it now (with any raises)."""
        h = self._digest(index)
        gender = Gender.FEMALE if h[0] & 1 else Gender.MALE
        born = dt.date.fromordinal(FIRST_BIRTHDAY + int.from_bytes(h[1:3], "big") % 16_000)
        century_digit = (born.year // 100 - 19) * 2 + (gender is Gender.FEMALE)
        citizen_id = (
            f"{CCCD_PROVINCES[h[3] % len(CCCD_PROVINCES)]}{century_digit}{born.year % 100:02d}"
            f"{int.from_bytes(h[4:7], 'big') % 1_000_000:06d}"
        )
        adult = dt.date(born.year + 18, born.month, min(born.day, 28))
        latest = dt.date(2026, 11, 1)
        start = adult + dt.timedelta(days=int.from_bytes(h[10:12], "big") % (latest - adult).days)
        raises = self.raises.get(index, 0)
        status = STATUSES[h[12] % len(STATUSES)]
        if status == "maternity_leave" and gender is Gender.MALE:
            status = "participating"
        common: dict[str, Any] = {
            "social_insurance_number": self.social_insurance_number(index, h),
            "full_name": _name(gender, h[7], h[8], h[9]),
            "date_of_birth": born,
            "gender": gender,
            "citizen_id": citizen_id,
            "position": POSITIONS[h[13] % len(POSITIONS)],
            "contract_type": CONTRACT_TYPES[h[14] % len(CONTRACT_TYPES)],
            "contract_start": start,
            "status": status,
        }
        if h[15] % 5 == 0:  # a fifth on the public-sector scale
            step = min(h[16] % 6 + raises, len(COEFFICIENTS) - 1)
            return InsuredEmployee(
                **common,
                salary_kind=SalaryKind.COEFFICIENT,
                salary_coefficient=COEFFICIENTS[step],
                allowances=_public_allowances(h[17] % 5 + 1, h[18] % 15 + 5),
            )
        amount = 5_000_000 + (int.from_bytes(h[19:21], "big") % 3_500) * 10_000
        for _ in range(raises):
            amount = amount * (100 + RAISE_PERCENT) // 100 // 10_000 * 10_000
        allowances = _responsibility(500_000 + h[22] % 10 * 100_000) if h[21] % 3 == 0 else ()
        return InsuredEmployee(
            **common,
            salary_kind=SalaryKind.AMOUNT,
            salary_amount_vnd=amount,
            allowances=allowances,
        )

    def next_change(self, joined: int, left: int, raised: int) -> Change:
        """The next round: deterministic in the unit code and the round's number.

        Leavers and raises are drawn among those listed now (a raise never goes to a
        leaver); joiners get the next indices.
        """
        listed = self.total
        if left + raised > listed:
            raise ValueError(f"only {listed} employees are listed")
        draw = random.Random(f"{self.unit_code}:round:{len(self.changes)}")  # noqa: S311
        chosen: list[int] = []
        taken: set[int] = set()
        while len(chosen) < left + raised:
            index = draw.randrange(self.count)
            if index not in self.left and index not in taken:
                taken.add(index)
                chosen.append(index)
        return Change(joined=joined, left=tuple(chosen[:left]), raised=tuple(chosen[left:]))
