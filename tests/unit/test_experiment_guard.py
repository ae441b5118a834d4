"""The guard's decision (lambdas/experiment_guard/guard.py), pure: the experiment, the stop, both
arms' counters and a pinned moment in; the stop to write (or none) and a summary out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lambdas.experiment_guard.guard import judge, standing
from lambdas.policy.experiment import NO_STOP, Stop, parse_experiment, read_stop
from lambdas.policy.experiment_spec import Experiment
from lambdas.shared.experiment_stats import MIN_TRIALS_PER_ARM
from tandem.experiment_settings import experiment_settings
from tandem.experiment_status import guardrail_checks
from tests.unit.ivr_support import experiment_json

DOCUMENT = experiment_json()
EXPERIMENT = parse_experiment(DOCUMENT).experiment
assert EXPERIMENT is not None
DURING = EXPERIMENT.start + timedelta(days=7, hours=5, minutes=30)  # a week in, 00:30 local + 5 h
SAFE = {"contacts": 2000, "resolved": 900, "contained": 900, "recontacted": 200}
HARMED = SAFE | {"recontacted": 500}  # recontacts 10 % -> 25 %: 15 points over a 3-point margin


def test_a_guardrail_shown_worse_than_its_margin_makes_the_stop() -> None:
    judgement = judge(EXPERIMENT, None, SAFE, HARMED, DURING)
    assert judgement.action == "stopped"
    stop = judgement.stop
    assert stop is not None
    assert (stop.experiment_id, stop.guardrail) == (EXPERIMENT.id, "recontactRate")
    assert stop.stopped_at == "2026-11-30T10:30:00Z"  # the pinned moment, in UTC
    assert stop.reason.startswith("recontactRate worse by 0.1500 (margin 0.03, lower is better); mSPRT")
    # And the stop it writes is one ivr_decision reads as halting exactly this experiment
    assert stop.halts(EXPERIMENT.id) and not stop.halts("another-experiment")
    # And the summary names the guardrail and its figures: counts and ratios only
    summary = judgement.summary()
    assert (summary["experimentId"], summary["action"], summary["guardrail"]) == (
        EXPERIMENT.id,
        "stopped",
        "recontactRate",
    )
    (recontacts,) = [g for g in summary["guardrails"] if g["metric"] == "recontactRate"]
    assert recontacts["champion"] == {"value": 0.1, "trials": 2000}
    assert recontacts["challenger"] == {"value": 0.25, "trials": 2000}
    assert recontacts["tripped"] and recontacts["likelihoodRatio"] >= recontacts["threshold"]
    assert json.loads(json.dumps(summary)) == summary  # one JSON log line


def test_the_guard_and_the_status_look_at_the_guardrails_the_same_way() -> None:
    # One loop (lambdas/shared/guardrails.py): what the status reports as tripped is what the guard stops on
    settings = experiment_settings(DOCUMENT)
    assert settings is not None
    for champion, challenger in ((SAFE, HARMED), (SAFE, SAFE), (HARMED, SAFE)):
        shown = [c.guardrail.metric for c in guardrail_checks(settings, champion, challenger) if c.tripped]
        stopped = judge(EXPERIMENT, None, champion, challenger, DURING).stop
        assert shown[:1] == ([] if stopped is None else [stopped.guardrail])


@pytest.mark.parametrize(
    "challenger",
    [
        SAFE,  # the same figures
        SAFE | {"recontacted": 230},  # 1.5 points worse: inside the 3-point margin
    ],
    ids=["same", "within-margin"],
)
def test_no_stop_without_evidence_of_harm(challenger: dict[str, int]) -> None:
    judgement = judge(EXPERIMENT, None, SAFE, challenger, DURING)
    assert (judgement.action, judgement.stop) == ("running", None)
    assert judgement.summary()["guardrail"] == ""


def test_too_few_calls_is_no_look_at_all() -> None:
    # Three quarters of the challenger's callers come back, against a tenth: with fewer calls per
    # arm than the mSPRT needs, it does not look, and the experiment runs on
    n = MIN_TRIALS_PER_ARM - 1
    few = {"contacts": n, "resolved": n, "contained": n, "recontacted": 3}
    judgement = judge(EXPERIMENT, None, few, few | {"recontacted": 22}, DURING)
    assert (judgement.action, judgement.stop) == ("running", None)
    assert {g["likelihoodRatio"] for g in judgement.summary()["guardrails"]} == {None}
    # And the same figures with enough calls do stop it
    more = {name: count * 4 for name, count in few.items()}
    assert judge(EXPERIMENT, None, more, more | {"recontacted": 88}, DURING).action == "stopped"


def test_an_arm_with_no_calls_leaves_it_running() -> None:
    judgement = judge(EXPERIMENT, None, SAFE, {}, DURING)
    assert judgement.action == "running"
    assert judgement.summary()["contacts"] == {"champion": 2000, "challenger": 0}


@pytest.mark.parametrize(
    "stop",
    [
        Stop(EXPERIMENT.id, "2026-11-28T05:30:00Z", "abandonRate", "worse"),
        read_stop("not json"),  # unreadable: ivr_decision halts every experiment, so the guard does too
    ],
    ids=["this-experiment", "unreadable"],
)
def test_an_experiment_already_stopped_is_not_stopped_again(stop: Stop) -> None:
    judgement = judge(EXPERIMENT, stop, SAFE, HARMED, DURING)
    assert (judgement.action, judgement.stop, judgement.checks) == ("already-stopped", None, ())


@pytest.mark.parametrize(
    "stop", [None, NO_STOP, Stop("an-earlier-one", "2026-10-01T05:30:00Z", "abandonRate", "worse")]
)
def test_a_stop_of_nothing_or_of_another_experiment_does_not_halt_this_one(stop: Stop | None) -> None:
    assert standing(EXPERIMENT, stop, DURING) == "running"
    assert judge(EXPERIMENT, stop, SAFE, HARMED, DURING).action == "stopped"


@pytest.mark.parametrize(
    "moment",
    [EXPERIMENT.start - timedelta(seconds=1), EXPERIMENT.end, EXPERIMENT.end + timedelta(days=3)],
    ids=["before-start", "at-end", "after-end"],
)
def test_outside_its_dates_it_is_not_running(moment: datetime) -> None:
    judgement = judge(EXPERIMENT, None, SAFE, HARMED, moment)
    assert (judgement.action, judgement.stop) == ("not-running", None)
    assert standing(EXPERIMENT, None, EXPERIMENT.start) == "running"  # the start is included


def test_no_experiment_is_nothing_to_guard() -> None:
    judgement = judge(None, None, {}, {}, datetime(2026, 12, 1, tzinfo=UTC))
    assert judgement.summary() == {
        "experimentId": "",
        "action": "none",
        "guardrail": "",
        "contacts": {"champion": 0, "challenger": 0},
        "guardrails": [],
    }


def _experiment(**changes: Any) -> Experiment:
    found = parse_experiment(experiment_json(**changes)).experiment
    assert found is not None
    return found


def test_the_first_tripped_guardrail_in_the_documents_order_names_the_stop() -> None:
    # Both abandon and recontact rates much worse: abandonRate is listed first
    experiment = _experiment()
    champion = SAFE | {"queued": 1000, "abandoned": 50}
    challenger = HARMED | {"queued": 1000, "abandoned": 300}
    judgement = judge(experiment, None, champion, challenger, DURING)
    assert judgement.stop is not None and judgement.stop.guardrail == "abandonRate"
    tripped = [g["metric"] for g in judgement.summary()["guardrails"] if g["tripped"]]
    assert tripped == ["abandonRate", "recontactRate"]
