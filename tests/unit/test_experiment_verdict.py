"""The verdict of `tandem experiment status` from arms' counters (tandem/experiment_status.py): BETTER
or WORSE only once the planned sample is reached or by the sequential test; STOPPED only by the
stop parameter naming the experiment; RUNNING and INCONCLUSIVE otherwise."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lambdas.shared.counters import Reads
from tandem.experiment_settings import ExperimentError, experiment_settings
from tandem.experiment_status import (
    Arm,
    Stop,
    experiment_status,
    guardrail_checks,
    primary_of,
    verdict,
)
from tandem.kpi import Totals
from tandem.kpi_report import Provisional
from tests.integration.test_experiment_status import DOCUMENT

SETTINGS = experiment_settings(DOCUMENT)
assert SETTINGS is not None
NEW_YORK = ZoneInfo("America/New_York")


def arm(
    contacts: int, resolved: int, *, recontacted: int = 0, queued: int = 0, abandoned: int = 0
) -> dict[str, int]:
    return {
        "contacts": contacts,
        "resolved": resolved,
        "contained": resolved,
        "recontacted": recontacted,
        "queued": queued,
        "abandoned": abandoned,
    }


def judge(
    champion: dict[str, int], challenger: dict[str, int], stop: Stop | None = None, ended: bool = False
) -> str:
    assert SETTINGS is not None
    primary = primary_of(SETTINGS, champion, challenger)
    checks = guardrail_checks(SETTINGS, champion, challenger)
    return verdict(SETTINGS, primary, checks, stop, ended)[0]


def test_better_and_worse_once_the_plan_is_reached() -> None:
    # 45 % resolution: about 4,300 calls per arm planned for +3 points
    assert judge(arm(5000, 2250), arm(5000, 2400)) == "BETTER"
    assert judge(arm(5000, 2400), arm(5000, 2250)) == "WORSE"
    assert judge(arm(5000, 2250), arm(5000, 2260)) == "INCONCLUSIVE"


def test_before_the_plan_a_difference_the_z_test_calls_significant_is_still_running() -> None:
    # p < 0.05 at one look, yet neither the plan nor the sequential test is reached
    champion, challenger = arm(1500, 675), arm(1500, 730)
    primary = primary_of(SETTINGS, champion, challenger)  # type: ignore[arg-type]
    assert primary.comparison is not None and primary.comparison.test is not None
    assert primary.comparison.test.p_value < 0.05
    assert primary.look is not None and not primary.look.rejects
    assert judge(champion, challenger) == "RUNNING"
    assert judge(champion, challenger, ended=True) == "INCONCLUSIVE"


def test_the_sequential_test_decides_early_on_a_large_difference() -> None:
    assert judge(arm(1500, 675), arm(1500, 900)) == "BETTER"
    assert judge(arm(1500, 900), arm(1500, 675)) == "WORSE"


def test_stopped_only_by_a_stop_naming_the_experiment() -> None:
    assert SETTINGS is not None
    stop = Stop(SETTINGS.id, "2026-12-01T06:00:00Z", "recontactRate", "worse by 9 points")
    assert judge(arm(100, 45), arm(100, 45), stop) == "STOPPED"
    assert judge(arm(100, 45), arm(100, 45), Stop("other", "", "", "")) == "RUNNING"


def test_a_tripped_guardrail_is_reported_until_the_guard_stops_it() -> None:
    assert SETTINGS is not None
    champion, challenger = arm(2000, 900, recontacted=200), arm(2000, 900, recontacted=500)
    checks = guardrail_checks(SETTINGS, champion, challenger)
    assert [c.guardrail.metric for c in checks if c.tripped] == ["recontactRate"]
    word, why = verdict(SETTINGS, primary_of(SETTINGS, champion, challenger), checks, None, False)
    assert word == "RUNNING" and "recontactRate shows harm" in why


def test_provisional_days_are_left_out_of_the_primary_metric() -> None:
    assert SETTINGS is not None
    final = Totals.of(arm(100, 45))
    everything = final + Totals.of(arm(50, 40))
    arms = (
        Arm("champion", "x:champion", everything, final),
        Arm("challenger", "x:challenger", everything, final),
    )
    now = datetime(2026, 12, 2, 17, tzinfo=UTC)
    status = experiment_status(
        SETTINGS,
        arms,
        reads=Reads(),
        start=date(2026, 11, 23),
        end=date(2026, 12, 20),
        provisional=Provisional(NEW_YORK, timedelta(hours=72), now),
        stop=None,
    )
    assert status.primary.champion is not None and status.primary.champion.trials == 100
    assert status.to_dict()["variants"]["champion"]["contacts"] == 150
    assert not status.ended


def test_no_experiment_and_bad_fields() -> None:
    assert experiment_settings(DOCUMENT | {"experiment": None}) is None
    with pytest.raises(ExperimentError, match="kind"):
        experiment_settings(DOCUMENT | {"kind": "tandem/ivr-rules"})
    broken = copy.deepcopy(DOCUMENT)
    broken["experiment"]["guardrails"][0]["maxWorsening"] = -1  # type: ignore[index]
    with pytest.raises(ExperimentError, match=r"experiment.guardrails\[0\].maxWorsening"):
        experiment_settings(broken)
    with pytest.raises(ExperimentError, match=r"experiment\.end: must be after"):
        experiment_settings(
            DOCUMENT | {"experiment": DOCUMENT["experiment"] | {"end": "2026-11-01T00:00:00-05:00"}}
        )  # type: ignore[operator]
