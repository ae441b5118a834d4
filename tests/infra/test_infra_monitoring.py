"""The dashboard and alarms in the synthesized template."""

from __future__ import annotations

import json

import pytest
from infra_support import Synthesized

pytestmark = pytest.mark.slow

FUNCTIONS = ("crm_lookup", "ivr_decision", "escalation", "survey", "ctr_ingest")


def test_one_dashboard_shows_the_balance_and_the_machinery(new_instance: Synthesized) -> None:
    [dashboard] = new_instance.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "Containment and transfer",
        "CSAT",
        "Lambda errors and throttles",
        "Lambda duration p99",
        "iterator age",
        "DynamoDB throttled requests",
        "escalation reasons",
    ):
        assert title in body, title
    # The business figures are the functions' own EMF metrics, in Tandem's namespace
    for metric in (
        "RouteSelfService",
        "RouteAgent",
        "CsatScore",
        "CallsCounted",
        "IngestLagSeconds",
        "EscalationReasons",
    ):
        assert metric in body, metric


def test_alarms_on_error_rate_throttles_iterator_age_and_table_throttling(new_instance: Synthesized) -> None:
    alarms = [a["Properties"] for a in new_instance.resources("AWS::CloudWatch::Alarm").values()]
    descriptions = [a["AlarmDescription"] for a in alarms]
    for name in FUNCTIONS:
        assert f"{name}: over 5% of invocations fail" in descriptions
        assert f"{name}: invocations throttled (concurrency)" in descriptions
    [age] = [a for a in alarms if a["AlarmDescription"].startswith("ctr_ingest is more than 5 minutes")]
    assert (age["MetricName"], age["Namespace"], age["Threshold"]) == ("IteratorAge", "AWS/Lambda", 300000)
    table_alarms = [a for a in alarms if "DynamoDB throttled requests" in a["AlarmDescription"]]
    assert len(table_alarms) == 3
    # Quiet periods are not failures
    assert {a["TreatMissingData"] for a in alarms} == {"notBreaching"}
