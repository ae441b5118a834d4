"""experiment_guard in the synthesized template: the function, its daily schedule, the stop
parameter it alone may write, its grants and its alarms. The whole-template walk of who may touch
what is test_infra_least_privilege.py; this file reads the guard's statements' exact shapes."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest
from infra_support import Synthesized, function_named, role_statements, spelled

from infra import constants
from infra.constructs.experiment_guard import utc_time_after_local
from lambdas.policy.experiment import read_stop

pytestmark = pytest.mark.slow

STOP_NAME = "/tandem/Tandem/ivr/experiment-stop"  # the stack is named "Tandem"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def stop_parameter(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, p["Properties"])
        for k, p in synth.resources("AWS::SSM::Parameter").items()
        if p["Properties"]["Name"] == STOP_NAME
    ]
    return found


def statements_with(synth: Synthesized, action: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (holder, statement) in the template allowing `action`, in any role or policy."""
    found = []
    for logical_id, resource in synth.template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        if "PolicyDocument" in properties:
            documents.append(properties["PolicyDocument"])
        for document in documents:
            found += [(logical_id, s) for s in document["Statement"] if action in as_list(s["Action"])]
    return found


def test_the_function_is_scheduled_not_flow_invoked(each_mode: Synthesized) -> None:
    # Given the guard's function
    _, function = function_named(each_mode, "experiment_guard")
    props = function["Properties"]
    variables = props["Environment"]["Variables"]
    # Then it reads the documents' path, the Metrics table and the centre's zone, and knows the topic
    assert variables["IVR_CONFIG_PATH"] == "/tandem/Tandem/ivr"
    assert variables["METRICS_TABLE"]["Ref"].startswith("DataMetrics")
    assert variables["TIME_ZONE"] == each_mode.stack.config.time_zone
    assert variables["ALARM_TOPIC_ARN"]["Ref"].startswith("MonitoringAlarmTopic")
    assert props["Timeout"] == constants.GUARD_TIMEOUT_SECONDS
    assert props["Architectures"] == ["arm64"]
    # And Connect cannot invoke it: no flow calls the guard
    assert "experiment_guard" not in [fn.name for fn in each_mode.stack.functions.flow_invoked]


def test_a_daily_rule_invokes_it_just_after_midnight_in_the_centre(each_mode: Synthesized) -> None:
    # Given the one EventBridge rule
    rule_id, rule = each_mode.only("AWS::Events::Rule")
    function_id, _ = function_named(each_mode, "experiment_guard")
    props = rule["Properties"]
    # Then it is a daily cron at the UTC time of 00:30 in the zone's standard time (America/New_York)
    assert each_mode.stack.config.time_zone == "America/New_York"
    assert props["ScheduleExpression"] == "cron(30 5 * * ? *)"
    assert props["State"] == "ENABLED"
    # And its one target is the guard, with a short retry policy
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    # And EventBridge may invoke the guard only from this rule
    (permission,) = [
        p["Properties"]
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert permission["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert permission["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", (5, 30)),  # -05:00 in winter: 00:30 EST, 01:30 EDT
        ("Europe/London", (0, 30)),  # GMT in winter, 01:30 BST in summer
        ("Asia/Kolkata", (19, 0)),  # +05:30 all year: the evening before, in UTC
        ("Australia/Sydney", (14, 30)),  # +10:00 at its smallest (its winter is July)
        ("UTC", (0, 30)),
    ],
)
def test_the_rules_utc_time_is_never_before_the_local_time(zone: str, expected: tuple[int, int]) -> None:
    assert utc_time_after_local(zone, time(0, 30)) == expected


def test_the_stop_parameter_exists_and_halts_nothing(each_mode: Synthesized) -> None:
    # Given the stop parameter CDK creates (so the guard's grant can name its ARN)
    _, props = stop_parameter(each_mode)
    # Then it is a Standard String under the documents' path, never one of the documents
    assert (props["Type"], props["Tier"]) == ("String", "Standard")
    # And its value is a stop ivr_decision reads as halting no experiment (not an unreadable value,
    # which would halt every experiment)
    stop = read_stop(props["Value"])
    assert stop.experiment_id == ""
    assert not stop.halts("any-experiment")


def test_only_the_guard_may_write_and_only_the_stop_parameter(each_mode: Synthesized) -> None:
    # Given every statement allowing ssm:PutParameter in the template
    stop_id, _ = stop_parameter(each_mode)
    writes = statements_with(each_mode, "ssm:PutParameter")
    # Then there is one, on the guard's role, naming exactly the stop parameter's ARN
    (statement,) = [s for _, s in writes]
    assert statement in role_statements(each_mode, "experiment_guard")
    assert as_list(statement["Action"]) == ["ssm:PutParameter"]
    arn = spelled(statement["Resource"])
    assert "*" not in json.dumps(statement["Resource"])
    assert arn.endswith(f":parameter${{{stop_id}}}")
    assert arn.startswith("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:")


def test_the_guard_publishes_on_the_alarm_topic_and_uses_its_key_through_sns(each_mode: Synthesized) -> None:
    statements = role_statements(each_mode, "experiment_guard")
    (publish,) = [s for s in statements if "sns:Publish" in as_list(s["Action"])]
    assert publish["Resource"]["Ref"].startswith("MonitoringAlarmTopic")
    (key,) = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert sorted(as_list(key["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"]["Fn::GetAtt"][0].startswith("MonitoringAlarmTopicKey")
    assert spelled(key["Condition"]) == {
        "StringEquals": {"kms:ViaService": "sns.${AWS::Region}.amazonaws.com"}
    }
    # And it reads the counters with Query alone
    (query,) = [s for s in statements if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert as_list(query["Action"]) == ["dynamodb:Query"]


def test_a_failed_look_and_an_unannounced_stop_raise_alarms(new_instance: Synthesized) -> None:
    alarms = {
        a["Properties"]["AlarmDescription"]: a["Properties"]
        for a in new_instance.resources("AWS::CloudWatch::Alarm").values()
    }
    _, function = function_named(new_instance, "experiment_guard")
    service = function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    for start, metric in (
        ("experiment_guard could not look", "GuardErrors"),
        ("experiment_guard stopped an experiment but could not announce", "GuardNotifyFailures"),
    ):
        (alarm,) = [a for d, a in alarms.items() if d.startswith(start)]
        (query,) = alarm["Metrics"]
        assert query["MetricStat"]["Metric"] == {
            "Namespace": "Tandem",
            "MetricName": metric,
            "Dimensions": [{"Name": "service", "Value": service}],
        }
        assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (0, 1)
    assert "experiment_guard: over 5% of invocations fail" in alarms
