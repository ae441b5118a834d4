"""The experiment document (lambdas/policy/experiment.py): what validates, each invalid field named
in one line, the registry and the shipped default, and the guard's stop parameter as read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.documents.registry import bundled_defaults, parse_text
from lambdas.policy.experiment import (
    EVERY_EXPERIMENT,
    ExperimentDocument,
    Stop,
    parse_experiment,
    read_stop,
    stop_text,
)
from lambdas.policy.experiment_spec import METRICS
from lambdas.policy.validation import DocumentError
from lambdas.shared import kpi
from tests.unit.ivr_support import CHALLENGER_REVISION, experiment_json


def test_a_complete_experiment_parses_with_its_challenger_compiled() -> None:
    parsed = parse_text(json.dumps(experiment_json()), "experiment")
    assert (parsed.name, parsed.revision) == ("experiment", "2026-12-04.1")
    document = parsed.value
    assert isinstance(document, ExperimentDocument)
    experiment = document.experiment
    assert experiment is not None
    assert experiment.id == "deflect-2026-12"
    assert experiment.challenger.revision == CHALLENGER_REVISION
    assert experiment.challenger.rules[0].id == "hours-by-people"
    assert (experiment.share, experiment.unit, experiment.alpha, experiment.power) == (
        0.5,
        "caller",
        0.05,
        0.8,
    )
    assert experiment.start == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert experiment.end == datetime(2026, 12, 21, 5, 0, tzinfo=UTC)
    assert experiment.primary == ("resolutionRate", "higher")
    assert experiment.minimum_detectable_effect == 0.03
    assert [(g.metric, g.max_worsening) for g in experiment.guardrails] == [
        ("abandonRate", 0.02),
        ("recontactRate", 0.03),
        ("lowCsatShare", 0.05),
    ]


def test_the_shipped_default_holds_no_experiment() -> None:
    parsed = bundled_defaults(("experiment",))["experiment"]
    assert isinstance(parsed.value, ExperimentDocument) and parsed.value.experiment is None


def test_the_metric_names_are_kpi_proportions_and_the_low_csat_share() -> None:
    # The means (handle time, queue wait, CSAT average) are reported by the status, not judged
    means = {"averageHandleSeconds", "averageQueueWaitSeconds", "csatAverage"}
    assert set(METRICS) == ({rate.key for rate in kpi.RATES} - means) | {"lowCsatShare"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "Deflect"}, "experiment.id: must be a lowercase label starting with a letter"),
        ({"id": "2026-deflect"}, "experiment.id: must be a lowercase label starting with a letter"),
        ({"share": 0}, "experiment.share: must be above 0 and below 1, got 0"),
        ({"share": 1}, "experiment.share: must be above 0 and below 1, got 1"),
        ({"share": "half"}, "experiment.share: must be a number, got text"),
        ({"share": True}, "experiment.share: must be a number, got true/false"),
        ({"start": "2026-11-23"}, "experiment.start: needs its UTC offset"),
        ({"start": "next monday"}, "experiment.start: must be a date and time with its offset"),
        ({"end": 20261221}, "experiment.end: must be a date and time with its offset"),
        ({"end": "2026-11-22T00:00:00-05:00"}, "experiment.end: must be after start"),
        ({"unit": "customer"}, "experiment.unit: must be one of caller, contact, got 'customer'"),
        (
            {"primaryMetric": {"metric": "csatAverage", "better": "higher"}},
            "experiment.primaryMetric.metric:",
        ),
        ({"primaryMetric": {"metric": "resolutionRate", "better": "up"}}, "experiment.primaryMetric.better:"),
        ({"primaryMetric": {"metric": "resolutionRate"}}, "experiment.primaryMetric: missing field 'better'"),
        ({"alpha": 0.5}, "experiment.alpha: must be above 0 and below 0.5, got 0.5"),
        ({"power": 0.5}, "experiment.power: must be above 0.5 and below 1, got 0.5"),
        ({"minimumDetectableEffect": 0}, "experiment.minimumDetectableEffect: must be above 0 and below 1"),
        ({"guardrails": {}}, "experiment.guardrails: must be a list, got an object"),
        (
            {"guardrails": [{"metric": "abandonRate", "better": "lower", "maxWorsening": -0.01}]},
            "experiment.guardrails[0].maxWorsening: must be at least 0 and below 1, got -0.01",
        ),
        (
            {"guardrails": [{"metric": "abandonRate", "better": "lower"}]},
            "experiment.guardrails[0]: missing field 'maxWorsening'",
        ),
        (
            {"guardrails": [{"metric": "abandonRate", "better": "lower", "maxWorsening": 0.02}] * 2},
            "experiment.guardrails[1].metric: abandonRate has a guardrail already",
        ),
        ({"challenger": "rules.json"}, "experiment.challenger: must be an object, got text"),
    ],
)
def test_each_invalid_field_is_named_in_one_line(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_experiment(experiment_json(**changes))
    assert str(raised.value).startswith(expected), raised.value.problems
    assert "\n" not in str(raised.value)


def test_a_broken_challenger_is_reported_with_the_rules_parsers_path() -> None:
    document = experiment_json()
    document["experiment"]["challenger"]["rules"][0]["when"]["fact"] = "intnet"
    with pytest.raises(DocumentError) as raised:
        parse_experiment(document)
    assert raised.value.problems[0].startswith(
        "experiment.challenger: rule 'hours-by-people' (rules[0]) field when.fact: unknown fact 'intnet'"
    )


def test_a_challenger_of_another_kind_is_refused() -> None:
    document = experiment_json()
    document["experiment"]["challenger"]["kind"] = "tandem/ivr-content"
    with pytest.raises(DocumentError, match=r"experiment\.challenger: kind: must be 'tandem/ivr-rules'"):
        parse_experiment(document)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"experiment": None, "extra": 1}, "unknown field 'extra'"),
        ({"kind": "tandem/ivr-rules"}, "kind: must be 'tandem/ivr-experiment'"),
        ({"schemaVersion": 2}, "schemaVersion: must be 1, got 2"),
    ],
)
def test_the_envelope_is_checked_like_the_other_documents(change: dict[str, Any], expected: str) -> None:
    document = {**experiment_json(), **change}
    with pytest.raises(DocumentError, match=expected):
        parse_experiment(document)


def test_the_experiment_field_is_required_null_meaning_none() -> None:
    document = experiment_json()
    del document["experiment"]
    with pytest.raises(DocumentError, match="missing field 'experiment'"):
        parse_experiment(document)
    assert parse_experiment({**document, "experiment": None}).experiment is None


def test_an_unknown_experiment_field_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"^experiment: unknown field 'shares'"):
        parse_experiment(experiment_json(shares=0.5))


def test_the_experiment_runs_from_start_to_end_unless_stopped() -> None:
    experiment = parse_experiment(experiment_json()).experiment
    assert experiment is not None
    start, end = experiment.start, experiment.end
    assert experiment.running(start, None)
    assert not experiment.running(end, None)
    stop = Stop("deflect-2026-12", "2026-12-01T00:00:00Z", "abandonRate", "worse by 3 points")
    assert not experiment.running(start, stop)
    assert experiment.running(start, stop._replace(experiment_id="another"))


def test_the_stop_parameter_reads_back_what_the_guard_writes() -> None:
    stop = Stop(
        "deflect-2026-12", "2026-12-01T06:00:00+00:00", "abandonRate", "abandon rate worse by 2.4 points"
    )
    assert read_stop(stop_text(stop)) == stop
    assert stop.halts("deflect-2026-12") and not stop.halts("another")


@pytest.mark.parametrize("text", ["", "stop", "[1]", '{"experimentId": "x"}', '{"experimentId": 1}'])
def test_an_unreadable_stop_stops_every_experiment_and_says_why(text: str) -> None:
    stop = read_stop(text)
    assert stop.experiment_id == EVERY_EXPERIMENT and stop.halts("any-experiment")
    assert stop.reason.startswith("the stop parameter")
