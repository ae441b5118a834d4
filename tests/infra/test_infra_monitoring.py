"""The dashboard and alarms in the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_support import (
    ALARM_EMAIL,
    Synthesized,
    from_this_accounts_alarms,
    function_named,
    spelled,
    stack_env,
)

from lambdas.shared import kpi

pytestmark = pytest.mark.slow

FUNCTIONS = ("crm_lookup", "ivr_decision", "escalation", "survey", "ctr_ingest")


def test_one_dashboard_shows_the_balance_and_the_machinery(new_instance: Synthesized) -> None:
    [dashboard] = new_instance.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "IVR decisions: to self-service and to a person",
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


# --- alarms that reach someone --------------------------------------------------------------------


def alarm_topic(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    (logical_id,) = [k for k in synth.resources("AWS::SNS::Topic") if k.startswith("MonitoringAlarmTopic")]
    return logical_id, synth.template["Resources"][logical_id]


def test_every_alarm_notifies_the_one_alarm_topic_when_it_fires_and_clears(each_mode: Synthesized) -> None:
    # Given the stack's one SNS topic
    topic_id, _ = alarm_topic(each_mode)
    assert len(each_mode.resources("AWS::SNS::Topic")) == 1
    # When every alarm in the template is read (not only Monitoring's)
    alarms = each_mode.resources("AWS::CloudWatch::Alarm")
    # (at least Monitoring's 16: 2 per function, iterator age, 3 tables, refused records, failure
    # queue; an alarm added anywhere else must notify too)
    assert len(alarms) >= 16
    # Then each one publishes to that topic, and says so again when it is back to OK
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}], logical_id
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}], logical_id


def test_the_topic_is_encrypted_with_a_rotating_customer_key_cloudwatch_may_use(
    each_mode: Synthesized,
) -> None:
    # Given the alarm topic / Then its key is the stack's own, not the AWS-managed aws/sns key
    _, topic = alarm_topic(each_mode)
    key_id, attribute = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"]
    assert attribute == "Arn"
    key = each_mode.template["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    # And the key policy lets CloudWatch encrypt to the topic, for this account's alarms only
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    (grant,) = cloudwatch
    assert grant["Effect"] == "Allow" and grant["Resource"] == "*"
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert spelled(grant["Condition"]) == from_this_accounts_alarms(each_mode)
    # And nobody but the account itself (CDK's administrator statement) is in the policy besides
    others = [s for s in statements if s is not grant]
    partition, _, account = stack_env(each_mode)
    assert [spelled(s["Principal"]) for s in others] == [{"AWS": f"arn:{partition}:iam::{account}:root"}]


def test_the_topic_takes_tls_only_and_lets_this_accounts_alarms_publish(each_mode: Synthesized) -> None:
    # Given the alarm topic's policy (it replaces SNS's default one)
    topic_id, _ = alarm_topic(each_mode)
    (policy,) = [
        p["Properties"]
        for p in each_mode.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    # Then publishing without TLS is denied to everyone (AwsSolutions-SNS3)
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Principal"], deny["Action"]) == ("*", "sns:Publish")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # And CloudWatch may publish, for this account's alarms only
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (allow["Action"], allow["Resource"]) == ("sns:Publish", {"Ref": topic_id})
    assert spelled(allow["Condition"]) == from_this_accounts_alarms(each_mode)


def test_alarm_email_subscribes_an_address_and_none_is_subscribed_without_it(
    new_instance: Synthesized, existing_instance: Synthesized
) -> None:
    # Given no alarmEmail / Then the topic has no subscription (alarms still publish to it)
    assert new_instance.resources("AWS::SNS::Subscription") == {}
    # Given alarmEmail / Then that address is subscribed to the alarm topic by email
    topic_id, _ = alarm_topic(existing_instance)
    ((_, subscription),) = existing_instance.resources("AWS::SNS::Subscription").items()
    assert subscription["Properties"] == {
        "Endpoint": ALARM_EMAIL,
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
    }


def alarm_described(synth: Synthesized, start: str) -> dict[str, Any]:
    (found,) = [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmDescription"].startswith(start)
    ]
    return found


def test_refused_contact_records_raise_an_alarm_on_ctr_ingests_own_total(new_instance: Synthesized) -> None:
    # Given the refused-records alarm
    alarm = alarm_described(new_instance, "ctr_ingest refused contact records")
    # Then it reads the EMF metric as Powertools emits it: namespace Tandem, only the service
    # dimension (the per-reason breakdown is a separate metric with more dimensions)
    (query,) = alarm["Metrics"]
    stat = query["MetricStat"]
    assert stat["Metric"] == {
        "Namespace": "Tandem",
        "MetricName": "RecordsRefused",
        "Dimensions": [{"Name": "service", "Value": "tandem-ctr-ingest"}],
    }
    # And one refused record in 5 minutes is enough; quiet periods are not failures
    assert (stat["Stat"], stat["Period"]) == ("Sum", 300)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["EvaluationPeriods"]) == (
        0,
        "GreaterThanThreshold",
        1,
    )
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_service_dimension_is_the_one_the_function_emits(new_instance: Synthesized) -> None:
    # The alarm's dimension must be ctr_ingest's POWERTOOLS_SERVICE_NAME, or it watches nothing
    _, function = function_named(new_instance, "ctr_ingest")
    service = function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    alarm = alarm_described(new_instance, "ctr_ingest refused contact records")
    assert alarm["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "service", "Value": service}
    ]


def test_a_message_on_the_ctr_on_failure_queue_raises_an_alarm(new_instance: Synthesized) -> None:
    # Given the event source mapping's on-failure destination
    (mapping,) = new_instance.resources("AWS::Lambda::EventSourceMapping").values()
    destination = mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    queue_id = destination["Fn::GetAtt"][0]
    # When the alarm on it is read
    alarm = alarm_described(new_instance, "contact records on the CTR on-failure queue")
    # Then it watches that very queue's visible messages: any one is a batch that will never count
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"], alarm["EvaluationPeriods"]) == (
        "Maximum",
        300,
        0,
        1,
    )
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_dashboards_rates_are_generated_from_the_kpi_definitions(new_instance: Synthesized) -> None:
    # Given the dashboard as CloudFormation will render it
    [dashboard] = new_instance.resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(
        "".join(p for p in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1] if isinstance(p, str))
    )
    graphs = {w["properties"]["title"]: w["properties"]["metrics"] for w in body["widgets"]}
    (decisions,) = [m for title, m in graphs.items() if title.startswith("IVR decisions")]
    # Then each line is one of lambdas/shared/kpi.py's dashboard rates, as a percentage of the
    # ivr_decision metrics that rate names, and no other ratio is drawn there
    expressions = [line[0]["expression"] for line in decisions if "expression" in line[0]]
    names = [line[1] for line in decisions if "expression" not in line[0]]
    expected, expected_names = [], []
    for rate in kpi.DASHBOARD_RATES:
        ids = [name[0].lower() + name[1:] for name in (*rate.numerator, rate.denominator)]
        expected.append(f"100 * ({' + '.join(ids[:-1])}) / {ids[-1]}")
        expected_names += [*rate.numerator, rate.denominator]
    assert expressions == expected
    assert set(names) == set(expected_names)  # the shared denominator is drawn once


def test_recontact_and_resolution_rates_are_ctr_ingests_added_counters(new_instance: Synthesized) -> None:
    # Given the dashboard as CloudFormation will render it
    [dashboard] = new_instance.resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(
        "".join(p for p in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1] if isinstance(p, str))
    )
    graphs = {w["properties"]["title"]: w["properties"]["metrics"] for w in body["widgets"]}
    (lines,) = [m for title, m in graphs.items() if title.startswith("Recontact and resolution rate")]
    # Then each line is lambdas/shared/kpi.py's rate of ctr_ingest's EMF metrics, hour by hour
    expressions = [(line[0]["expression"], line[0]["period"]) for line in lines if "expression" in line[0]]
    assert expressions == [
        ("100 * (recontactsAdded) / contactsAdded", 3600),
        ("100 * (resolvedAdded) / contactsAdded", 3600),
    ]
    assert [rate.numerator for rate in kpi.INGEST_DASHBOARD_RATES] == [
        ("RecontactsAdded",),
        ("ResolvedAdded",),
    ]
    metrics = [line for line in lines if "expression" not in line[0]]
    assert {line[1] for line in metrics} == {"ContactsAdded", "RecontactsAdded", "ResolvedAdded"}
    assert all(line[:1] == ["Tandem"] and "tandem-ctr-ingest" in line for line in metrics), metrics
