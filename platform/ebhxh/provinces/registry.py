"""The province registry: every claim from the province plugins, and name/code resolution."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ebhxh.provinces.model import Province, ProvinceRule
from ebhxh.text import fold

_PREFIXES = ("thanhpho", "tinh", "tp")


class ProvinceClaimConflict(RuntimeError):
    """Two plugin distributions claim the same province; the platform must not start."""


class ResolvedProvince(msgspec.Struct, frozen=True):
    """A user's input resolved to today's province, with the rule that serves it."""

    rule: ProvinceRule
    matched_former: str | None = None
    """The pre-2025 province the input named, when it named one that was merged away."""

    @property
    def province(self) -> Province:
        return self.rule.province


def fold_province(text: str) -> str:
    """A province name folded, without its kind: "TP. Hồ Chí Minh" -> "hochiminh"."""
    folded = fold(text)
    for prefix in _PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix) + 2:
            return folded[len(prefix) :]
    return folded


class ProvinceRegistry:
    """Provinces claimed by the loaded plugins, keyed for resolution.

    Build it with `(distribution name, rule)` pairs; a province claimed by two distributions
    raises `ProvinceClaimConflict` naming both.
    """

    def __init__(self, claims: Iterable[tuple[str, ProvinceRule]]) -> None:
        self._rules: dict[str, ProvinceRule] = {}
        self._claimed_by: dict[str, str] = {}
        self._by_key: dict[str, tuple[str, str | None]] = {}
        # A fallback claim (the built-in paper route) yields to a specific one; two claims
        # of the same kind on one province are a conflict the operator must resolve.
        claimed: dict[tuple[str, bool], tuple[str, ProvinceRule]] = {}
        for distribution, rule in claims:
            code = rule.province.code
            earlier = claimed.get((code, rule.fallback))
            if earlier is not None:
                raise ProvinceClaimConflict(
                    f"Province {code} {rule.province.name} is claimed by both "
                    f"{earlier[0]!r} and {distribution!r}; uninstall one or "
                    "leave it out of EBHXH_PLUGINS_ALLOW."
                )
            claimed[(code, rule.fallback)] = (distribution, rule)
        for (code, fallback), (distribution, rule) in sorted(claimed.items()):
            if fallback and (code, False) in claimed:
                continue
            self._rules[code] = rule
            self._claimed_by[code] = distribution
        for rule in self._rules.values():
            self._index(rule)

    def _index(self, rule: ProvinceRule) -> None:
        province = rule.province
        # Today's names and codes win over former ones: index them last so they overwrite.
        for former in province.formed_from:
            merged_away = former.name != province.name
            label = former.name if merged_away else None
            self._by_key.setdefault(former.code, (province.code, label))
            self._by_key.setdefault(fold_province(former.name), (province.code, label))
        self._by_key[province.code] = (province.code, None)
        self._by_key[fold_province(province.name)] = (province.code, None)

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[ProvinceRule]:
        """Every claimed province's rule, ordered by province code."""
        return [self._rules[code] for code in sorted(self._rules)]

    def claimed_by(self, code: str) -> str:
        """The distribution that claims province `code`."""
        return self._claimed_by[code]

    def resolve(self, text: str) -> ResolvedProvince | None:
        """Today's province for a current or former name or code; None when unknown."""
        key = text.strip()
        found = self._by_key.get(key) or self._by_key.get(fold_province(key))
        if found is None:
            return None
        code, former = found
        return ResolvedProvince(rule=self._rules[code], matched_former=former)
