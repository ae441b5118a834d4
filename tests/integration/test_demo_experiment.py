"""`tandem demo --experiment`: simulated days on the real handlers, ctr_ingest and the guard.

Each test runs one mode through the CLI at a small, seeded size that still shows its effect (the
same seed gives the same calls, so the figures asserted are reproducible, not likely): the harmful
challenger is stopped by the guard and every later call gets the champion; the deflecting one raises
containment and recontacts while resolution stays about the same; the champion against itself is
never stopped. Each status's intervals are recomputed here from the counts it reports, with scipy.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from typing import Any

from scipy.stats import binomtest, norm

from lambdas.shared import experiment_stats as es
from tandem.cli import main


def run_demo(mode: str, calls: int, days: int) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            ["demo", "--calls", str(calls), "--experiment", mode, "--days", str(days), "--format", "json"]
        )
    document: dict[str, Any] = json.loads(out.getvalue())
    assert code == 0, document["problems"]
    assert document["problems"] == [] and document["kpis"]["disagreements"] == []
    return document


def kpi(document: dict[str, Any], arm: str, metric: str) -> dict[str, Any]:
    found: dict[str, Any] = document["status"]["variants"][arm]["kpis"][metric]
    return found


def assert_intervals_recompute(status: dict[str, Any]) -> None:
    """Every rate's interval is Wilson's from its own successes and trials, which are its counters;
    the primary difference's is Newcombe's hybrid score interval from the two arms' Wilson intervals."""
    z = norm.ppf(0.975)
    checked = 0
    for arm in status["variants"].values():
        for metric, found in arm["kpis"].items():
            if found is None or "successes" not in found:
                continue
            rate = es.PROPORTIONS[metric]
            assert found["trials"] == found["counts"][rate.denominator]
            assert found["successes"] == sum(found["counts"][name] for name in rate.numerator)
            low, high = binomtest(found["successes"], found["trials"]).proportion_ci(0.95, method="wilson")
            assert math.isclose(found["interval"]["low"], low, abs_tol=1e-9), metric
            assert math.isclose(found["interval"]["high"], high, abs_tol=1e-9), metric
            checked += 1
    assert checked >= 2 * 8
    primary = status["primary"]
    a, b = primary["champion"], primary["challenger"]
    p_a, p_b = a["successes"] / a["trials"], b["successes"] / b["trials"]
    (l_a, u_a), (l_b, u_b) = (
        binomtest(arm["successes"], arm["trials"]).proportion_ci(0.95, method="wilson") for arm in (a, b)
    )
    difference = p_b - p_a
    low = difference - math.sqrt((p_b - l_b) ** 2 + (u_a - p_a) ** 2)
    high = difference + math.sqrt((u_b - p_b) ** 2 + (p_a - l_a) ** 2)
    interval = primary["comparison"]["interval"]
    assert math.isclose(interval["low"], low, abs_tol=1e-9) and math.isclose(
        interval["high"], high, abs_tol=1e-9
    )
    pooled = (a["successes"] + b["successes"]) / (a["trials"] + b["trials"])
    se = math.sqrt(pooled * (1 - pooled) * (1 / a["trials"] + 1 / b["trials"]))
    assert math.isclose(
        primary["comparison"]["test"]["pValue"], 2 * norm.sf(abs(difference / se)), rel_tol=1e-6
    )
    assert z > 1.95  # the 95 % intervals the status says it shows


def test_the_harmful_challenger_is_stopped_by_the_guard_and_later_calls_get_the_champion() -> None:
    document = run_demo("harmful", calls=100, days=7)
    status = document["status"]
    # The guard stopped it on an evening before the last, on a guardrail, and the status says so
    assert status["verdict"] == "STOPPED"
    assert status["stop"]["experimentId"] == "demo-harmful"
    assert status["stop"]["guardrail"] in {"lowCsatShare", "recontactRate"}
    actions = [day["guard"]["action"] for day in document["days"]]
    stopped = actions.index("stopped")
    assert document["stoppedOn"] == document["days"][stopped]["day"]
    assert stopped < len(actions) - 1
    assert actions[:stopped] == ["running"] * stopped
    assert actions[stopped + 1 :] == ["already-stopped"] * (len(actions) - stopped - 1)
    # Before the stop both arms took calls; after it every call was decided outside the experiment
    assert all(day["variants"].get("challenger", 0) > 0 for day in document["days"][: stopped + 1])
    for day in document["days"][stopped + 1 :]:
        assert day["variants"] == {"none": day["calls"]}
    assert document["challengerCallsAfterStop"] == 0
    # The harm is what the callers kept from a person did: far more low ratings in the challenger
    assert (
        kpi(document, "challenger", "lowCsatShare")["interval"]["low"]
        > kpi(document, "champion", "lowCsatShare")["interval"]["high"]
    )
    # Callers rang back, and the evening looks tripped the guardrail the stop names
    assert sum(day["ringBacks"] for day in document["days"]) > 0
    tripped = document["days"][stopped]["look"]["guardrails"][status["stop"]["guardrail"]]
    assert tripped["tripped"]
    assert_intervals_recompute(status)


def test_deflecting_raises_containment_and_recontacts_while_resolution_stays_about_the_same() -> None:
    document = run_demo("deflect", calls=80, days=7)
    status = document["status"]
    assert status["verdict"] not in {"BETTER", "STOPPED"}
    assert all(day["guard"]["action"] == "running" for day in document["days"])

    def value(arm: str, metric: str) -> float:
        return float(kpi(document, arm, metric)["value"])

    assert value("challenger", "containmentRate") > value("champion", "containmentRate") + 0.04
    assert value("challenger", "recontactRate") > value("champion", "recontactRate")
    # Resolution (contained and not recontacted), final days: the difference's interval holds 0
    interval = status["primary"]["comparison"]["interval"]
    assert status["primary"]["metric"] == "resolutionRate"
    assert interval["low"] < 0 < interval["high"]
    assert status["provisionalDays"]  # the last days' recontact windows are still open
    assert_intervals_recompute(status)


def test_an_aa_experiment_is_never_stopped() -> None:
    document = run_demo("aa", calls=50, days=5)
    status = document["status"]
    assert status["verdict"] != "STOPPED" and status["stop"] is None and document["stoppedOn"] is None
    assert all(day["guard"]["action"] == "running" for day in document["days"])
    assert all(day["variants"].get("challenger", 0) > 0 for day in document["days"])
    assert not any(check["tripped"] for check in status["guardrails"])


def test_the_same_seed_gives_the_same_arms_and_figures() -> None:
    first, second = (run_demo("harmful", calls=15, days=2) for _ in range(2))
    for document in (first, second):
        document.pop("seconds")
    assert first == second
