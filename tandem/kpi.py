"""The report's counter totals: summed over days and grouped by dimension value, no AWS.

Every KPI is a ratio of counter totals over the same calls (one dimension value, a range of days),
so totals are summed here first and divided once, by the definitions in `lambdas/shared/kpi.py`
(the counters, the outcomes and every rate; `KPI_NAMES`, `KpiValue` and `ratio` are those).
docs/kpis.md has the same definitions for readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lambdas.ctr_ingest.aggregates import NONE
from lambdas.shared import kpi
from lambdas.shared.kpi import COUNTERS, KPI_NAMES, KpiValue, ratio

__all__ = ["KPI_NAMES", "KpiValue", "Totals", "by_value", "kpis", "ranked", "ratio", "total"]


@dataclass(frozen=True)
class Totals:
    """Counter totals: every name in `COUNTERS`, summed over any number of counter items."""

    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict.fromkeys(COUNTERS, 0)))

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Totals:
        """Totals from one item's counters; a counter it lacks is 0, a name not in COUNTERS is ignored."""
        return cls(MappingProxyType({name: int(counts.get(name, 0)) for name in COUNTERS}))

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def __add__(self, other: Totals) -> Totals:
        return Totals(MappingProxyType({name: self[name] + other[name] for name in COUNTERS}))

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def total(items: Iterable[Mapping[str, int]]) -> Totals:
    """The sum of many items' counters (e.g. one dimension value over every day of a range)."""
    result = Totals()
    for counts in items:
        result += Totals.of(counts)
    return result


def kpis(t: Totals) -> dict[str, KpiValue]:
    """Every KPI of `t`, keyed by the names in `KPI_NAMES`."""
    return kpi.kpis(t.counts)


def by_value(rows: Iterable[tuple[str, Mapping[str, int]]]) -> dict[str, Totals]:
    """(dimension value, one item's counters) pairs → value → its totals over every item (day)."""
    groups: dict[str, Totals] = {}
    for value, counts in rows:
        groups[value] = groups.get(value, Totals()) + Totals.of(counts)
    return groups


def ranked(groups: Mapping[str, Totals]) -> list[tuple[str, Totals]]:
    """Values by contacts, most first (ties by name), with `NONE` last whatever its count.

    `NONE` is "calls without a value" (no escalation reason, never queued): for reasons it would
    otherwise top the ranking with every call that was never escalated.
    """
    return sorted(groups.items(), key=lambda pair: (pair[0] == NONE, -pair[1]["contacts"], pair[0]))
