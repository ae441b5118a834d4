"""tandem.kpi: totals, every KPI's numerator and denominator, undefined ratios, grouping and ranking."""

from __future__ import annotations

import pytest

from lambdas.shared.kpi import COUNTERS
from tandem.kpi import KPI_NAMES, Totals, by_value, kpis, ranked, ratio, total

# One day: 20 calls, every outcome once or more; each KPI below is hand-computed from these.
DAY = {
    "contacts": 20,
    "contained": 7,
    "transferred": 8,
    "abandoned": 2,
    "callbacks": 2,
    "errors": 1,
    "handled": 8,
    "handleSeconds": 2430,
    "queued": 12,
    "queueWaitSeconds": 600,
    "answeredInThreshold": 7,
    "csatCount": 4,
    "csatSum": 17,
    "recontacted": 3,  # one contained call among them: 7 contained, 6 resolved
    "resolved": 6,
}


def test_totals_cover_every_counter_missing_ones_zero_unknown_ignored() -> None:
    t = Totals.of({"contacts": 3, "notACounter": 99})
    assert set(t.counts) == set(COUNTERS)
    assert t["contacts"] == 3
    assert t["queued"] == 0
    assert "notACounter" not in t.as_dict()
    assert Totals().as_dict() == dict.fromkeys(COUNTERS, 0)


def test_totals_add_counter_by_counter() -> None:
    summed = Totals.of({"contacts": 2, "queued": 1}) + Totals.of({"contacts": 5, "csatSum": 4})
    assert summed["contacts"] == 7
    assert summed["queued"] == 1
    assert summed["csatSum"] == 4
    assert total([{"contacts": 1}, {"contacts": 2}, {"contacts": 3, "errors": 1}]).as_dict() == {
        **dict.fromkeys(COUNTERS, 0),
        "contacts": 6,
        "errors": 1,
    }
    assert total([]) == Totals()


def test_every_kpi_from_its_own_numerator_and_denominator() -> None:
    figures = kpis(Totals.of(DAY))
    assert tuple(figures) == KPI_NAMES
    assert figures == {
        "contacts": 20,
        "containmentRate": 7 / 20,
        "transferRate": 8 / 20,
        "abandonRate": 2 / 12,  # of queued calls, not of contacts
        "callbackRate": 2 / 20,
        "errorRate": 1 / 20,
        "averageHandleSeconds": 2430 / 8,  # per handled call, not per transferred one
        "averageQueueWaitSeconds": 600 / 12,
        "serviceLevel": 7 / 12,
        "csatAverage": 17 / 4,
        "recontactRate": 3 / 20,  # of every contact, whatever its outcome
        "resolutionRate": 6 / 20,  # contained and not recontacted, of contacts
        "csatResponses": 4,
    }


def test_rates_are_of_summed_totals_not_averages_of_daily_rates() -> None:
    busy = {"contacts": 90, "contained": 90}
    quiet = {"contacts": 10, "contained": 0}
    # The mean of the daily rates would be 50 %; 90 of 100 calls were contained.
    assert kpis(total([busy, quiet]))["containmentRate"] == pytest.approx(0.9)


def test_zero_denominators_are_none_never_an_error() -> None:
    figures = kpis(Totals())
    assert figures["contacts"] == 0
    assert figures["csatResponses"] == 0
    assert all(figures[name] is None for name in KPI_NAMES if name not in {"contacts", "csatResponses"})
    # Calls, but none queued, handled or rated: only the per-queued/handled/rated KPIs are undefined.
    contained_only = kpis(Totals.of({"contacts": 5, "contained": 5}))
    assert contained_only["containmentRate"] == 1.0
    assert contained_only["transferRate"] == 0.0
    for name in (
        "abandonRate",
        "averageHandleSeconds",
        "averageQueueWaitSeconds",
        "serviceLevel",
        "csatAverage",
    ):
        assert contained_only[name] is None, name


def test_ratio() -> None:
    assert ratio(1, 4) == 0.25
    assert ratio(0, 4) == 0.0
    assert ratio(3, 0) is None
    assert ratio(0, 0) is None


def test_by_value_sums_each_value_over_days() -> None:
    groups = by_value(
        [
            ("BILLING", {"contacts": 2, "queued": 2}),
            ("ORDER_STATUS", {"contacts": 5}),
            ("BILLING", {"contacts": 3, "queued": 1}),
        ]
    )
    assert set(groups) == {"BILLING", "ORDER_STATUS"}
    assert groups["BILLING"]["contacts"] == 5
    assert groups["BILLING"]["queued"] == 3
    assert groups["ORDER_STATUS"]["contacts"] == 5


def test_ranked_by_contacts_ties_by_name_none_last() -> None:
    groups = {
        "NONE": Totals.of({"contacts": 50}),
        "COMPLAINT": Totals.of({"contacts": 1}),
        "VIP": Totals.of({"contacts": 5}),
        "FRUSTRATION": Totals.of({"contacts": 1}),
        "ASKED_FOR_AGENT": Totals.of({"contacts": 4}),
    }
    assert [value for value, _ in ranked(groups)] == [
        "VIP",
        "ASKED_FOR_AGENT",
        "COMPLAINT",
        "FRUSTRATION",
        "NONE",
    ]
    assert ranked({}) == []
