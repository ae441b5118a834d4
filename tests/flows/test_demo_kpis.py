"""The demo's end: its calls as contact records, through ctr_ingest, into the KPI report."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections import Counter
from typing import Any

import pytest

from lambdas.shared.kpi import COUNTERS
from tandem.cli import main
from tandem.demo.day import run_day
from tandem.demo.scenarios import DEMO_SCENARIOS

FULL_NUMBER = re.compile(r"\+\d{9,15}")
# What ctr_ingest counts each scenario's outcome as (docs/kpis.md).
COUNTER_OF = {
    "self-served": "contained",
    "closed": "contained",
    "queued": "transferred",
    "callback": "callbacks",
}
OUTCOME_COUNTERS = ("contained", "transferred", "abandoned", "callbacks", "errors")


def run_demo(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo", *args])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    code, out = run_demo("--format", "json")
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    return document


def test_every_scripted_call_is_counted_once_as_its_outcome(demo: dict[str, Any]) -> None:
    kpis = demo["kpis"]
    counts = kpis["report"]["overall"]["counts"]
    assert counts["contacts"] == kpis["calls"] == len(DEMO_SCENARIOS)
    expected = Counter(COUNTER_OF[s.expect.outcome] for s in DEMO_SCENARIOS)
    assert {name: counts[name] for name in OUTCOME_COUNTERS} == {n: expected[n] for n in OUTCOME_COUNTERS}
    # Every call that reached an agent has handle time; no one hung up in the queue
    assert counts["handled"] == counts["transferred"] and counts["abandoned"] == 0
    assert kpis["disagreements"] == []


def test_the_csat_is_the_mean_of_the_ratings_the_callers_pressed(demo: dict[str, Any]) -> None:
    ratings = [int(c["csat"]) for c in demo["calls"] if c["csat"]]
    overall = demo["kpis"]["report"]["overall"]
    assert overall["counts"]["csatCount"] == len(ratings)
    assert overall["kpis"]["csatAverage"] == pytest.approx(sum(ratings) / len(ratings))


def test_newer_versions_win_and_a_shuffled_redelivery_changes_nothing(demo: dict[str, Any]) -> None:
    kpis = demo["kpis"]
    first, again = kpis["deliveries"]
    calls = len(DEMO_SCENARIOS)
    # Some calls had a second, post-call version (their rating); each call still counted once
    assert kpis["postCallUpdates"] > 0
    assert first["records"] == again["records"] == calls + kpis["postCallUpdates"]
    assert (first["callsCounted"], first["callsUnchanged"], first["recordsFailed"]) == (calls, 0, 0)
    assert (again["callsCounted"], again["callsUnchanged"], again["recordsFailed"]) == (0, calls, 0)


def test_the_report_by_route_adds_up_to_the_day(demo: dict[str, Any]) -> None:
    report = demo["kpis"]["report"]
    assert (report["from"], report["to"], report["by"]) == ("2026-11-23", "2026-11-23", "route")
    rows = {row["value"]: row["counts"] for row in report["rows"]}
    assert sum(r["contacts"] for r in rows.values()) == len(DEMO_SCENARIOS)
    assert rows["SELF_SERVICE"]["contained"] == sum(
        1 for s in DEMO_SCENARIOS if s.expect.outcome == "self-served"
    )
    assert not FULL_NUMBER.search(json.dumps(demo["kpis"]))


def test_the_table_ends_with_the_kpis_and_masks_numbers() -> None:
    code, out = run_demo()
    assert code == 0
    section = out[out.index("Contact records → ctr_ingest → KPIs") :]
    assert "redelivered, shuffled" in section and "containment" in section and "service level" in section
    assert "SELF_SERVICE" in section and "The counters agree with the calls" in section
    traced = "\n".join(line for line in out.splitlines() if not line.startswith("Next:"))
    assert not FULL_NUMBER.search(traced), FULL_NUMBER.search(traced)
    assert '"level"' not in out  # no handler log line


def test_a_days_kpis_agree_with_its_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    calls = 40
    assert run_day(calls, seed=5, output_format="json", progress=io.StringIO()) == 0
    document = json.loads(capsys.readouterr().out)
    outcomes, kpis = Counter(document["summary"]["outcomes"]), document["kpis"]
    counts = kpis["report"]["overall"]["counts"]
    # Then every call is one contact, in exactly one outcome
    assert counts["contacts"] == calls
    assert sum(counts[name] for name in OUTCOME_COUNTERS) == calls
    # And where the definitions match, the counters say what the day said
    assert counts["contained"] == outcomes["self-served"] + outcomes["closed"] + outcomes["disconnected"]
    assert counts["transferred"] == outcomes["queued"]
    assert counts["callbacks"] == outcomes["callback"]
    assert counts["csatCount"] == document["summary"]["csat"]["ratings"]
    events = sum(d["events"] for d in kpis["deliveries"])
    assert events == math.ceil(kpis["records"] / 100) and kpis["disagreements"] == []
    # Some callers rang back, so some contained calls were not resolved
    expected = kpis["expected"]
    assert expected["recontacted"] > 0 and expected["resolved"] < expected["contained"]
    assert expected["resolved"] == sum(r["resolved"] for r in kpis["expectedByRule"].values())
    if "recontacted" in COUNTERS:  # once ctr_ingest counts recontacts (the check above compared them)
        assert (counts["recontacted"], counts["resolved"]) == (expected["recontacted"], expected["resolved"])
