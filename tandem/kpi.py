"""Contact-centre KPIs from the Metrics table's counters: arithmetic only, no AWS.

Every KPI is a ratio of two counter totals over the same calls (one dimension value, a range of
days), so totals are summed first and divided once: averaging daily rates would weight a quiet
Sunday like a busy Monday. A ratio whose denominator is zero is None (a dash in a table), never an
error: a range with no queued calls has no abandon rate, not a 0 % one. The counters, and which
calls each counts, are defined in `lambdas/ctr_ingest/aggregates.py`; docs/kpis.md has the same
definitions for readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lambdas.ctr_ingest.aggregates import COUNTERS, NONE

KpiValue = int | float | None

# Each KPI: its name in JSON/CSV, then how it is computed (numerator / denominator).
KPI_NAMES = (
    "contacts",
    "containmentRate",
    "transferRate",
    "abandonRate",
    "callbackRate",
    "errorRate",
    "averageHandleSeconds",
    "averageQueueWaitSeconds",
    "serviceLevel",
    "csatAverage",
    "csatResponses",
)


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


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when nothing was there to divide by."""
    return numerator / denominator if denominator else None


def containment_rate(t: Totals) -> float | None:
    """contained / contacts: the share of calls the IVR finished on its own (no queue, no agent,
    no external transfer, not an error)."""
    return ratio(t["contained"], t["contacts"])


def transfer_rate(t: Totals) -> float | None:
    """transferred / contacts: the share of calls that reached an agent or an external number."""
    return ratio(t["transferred"], t["contacts"])


def abandon_rate(t: Totals) -> float | None:
    """abandoned / queued: of the calls that entered a queue, the share that hung up before an agent
    answered (and took no callback).

    Queued, not contacts, because only a queued call can abandon: over all contacts the rate would
    fall whenever self-service contained more calls, though not one more caller was answered. It is
    also Amazon Connect's own ABANDONMENT_RATE denominator, so the two can be compared.
    """
    return ratio(t["abandoned"], t["queued"])


def callback_rate(t: Totals) -> float | None:
    """callbacks / contacts: the share of calls that took a callback instead of waiting."""
    return ratio(t["callbacks"], t["contacts"])


def error_rate(t: Totals) -> float | None:
    """errors / contacts: the share of calls the flow could not serve (not connected, telecom problem)."""
    return ratio(t["errors"], t["contacts"])


def average_handle_seconds(t: Totals) -> float | None:
    """handleSeconds / handled: agent talk + customer hold + after-contact work, per handled call."""
    return ratio(t["handleSeconds"], t["handled"])


def average_queue_wait_seconds(t: Totals) -> float | None:
    """queueWaitSeconds / queued: time in queue per queued call, answered or not."""
    return ratio(t["queueWaitSeconds"], t["queued"])


def service_level(t: Totals) -> float | None:
    """answeredInThreshold / queued: the share of queued calls an agent answered within the threshold.

    The threshold (seconds) is fixed when the counters are written (ingestion), not here. Calls
    that abandoned, quickly or not, count against it: they were queued and not answered.
    """
    return ratio(t["answeredInThreshold"], t["queued"])


def csat_average(t: Totals) -> float | None:
    """csatSum / csatCount: the mean post-call rating (1..5) of the calls that gave one."""
    return ratio(t["csatSum"], t["csatCount"])


def kpis(t: Totals) -> dict[str, KpiValue]:
    """Every KPI of `t`, keyed by the names in `KPI_NAMES`."""
    return {
        "contacts": t["contacts"],
        "containmentRate": containment_rate(t),
        "transferRate": transfer_rate(t),
        "abandonRate": abandon_rate(t),
        "callbackRate": callback_rate(t),
        "errorRate": error_rate(t),
        "averageHandleSeconds": average_handle_seconds(t),
        "averageQueueWaitSeconds": average_queue_wait_seconds(t),
        "serviceLevel": service_level(t),
        "csatAverage": csat_average(t),
        "csatResponses": t["csatCount"],
    }


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
