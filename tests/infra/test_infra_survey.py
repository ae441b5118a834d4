"""survey in the synthesized template: standard wiring, one PutItem grant, Connect access."""

from __future__ import annotations

from typing import Any

import pytest
from infra_support import ACCOUNT, EXISTING_INSTANCE_ARN, Synthesized, function_named, role_statements

from infra import constants

pytestmark = pytest.mark.slow

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def interactions_id(synth: Synthesized) -> str:
    return next(k for k in synth.resources("AWS::DynamoDB::Table") if k.startswith("DataInteractions"))


def test_survey_uses_tandems_standard_wiring(each_mode: Synthesized) -> None:
    # Given survey / Then arm64, python3.14, JSON logs to its own group, tracing, the short timeout
    _, fn = function_named(each_mode, "survey")
    props = fn["Properties"]
    assert props["Description"] == "Tandem: stores the post-call CSAT rating the survey flow collects"
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.14"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] == constants.FUNCTION_TIMEOUT_SECONDS < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS
    log_group = each_mode.template["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30


def test_survey_environment_names_only_the_interactions_table(each_mode: Synthesized) -> None:
    # Given survey / Then it gets exactly the variables lambdas/survey/config.py reads (the rest default)
    _, fn = function_named(each_mode, "survey")
    assert fn["Properties"]["Environment"]["Variables"] == {
        "INTERACTIONS_TABLE": {"Ref": interactions_id(each_mode)},
        "POWERTOOLS_SERVICE_NAME": "tandem-survey",
        "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_survey_may_only_put_items_in_the_interactions_table(each_mode: Synthesized) -> None:
    # Given survey's role / When the statements beyond its log group and X-Ray are read
    granted = [
        s
        for s in role_statements(each_mode, "survey")
        if not all(a.startswith("logs:") or a in XRAY for a in as_list(s["Action"]))
    ]
    # Then the only right is PutItem on the Interactions table itself (no index, no other table)
    assert granted == [
        {
            "Action": "dynamodb:PutItem",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [interactions_id(each_mode), "Arn"]},
        }
    ]


def test_connect_may_invoke_survey_from_this_instance_and_account_only(each_mode: Synthesized) -> None:
    # Given survey / Then one permission and one association, both scoped to the instance
    function_id, _ = function_named(each_mode, "survey")
    arn = {"Fn::GetAtt": [function_id, "Arn"]}
    instances = each_mode.resources("AWS::Connect::Instance")
    instance_arn = {"Fn::GetAtt": [next(iter(instances)), "Arn"]} if instances else EXISTING_INSTANCE_ARN
    account = ACCOUNT if each_mode.stack.config.existing_instance else {"Ref": "AWS::AccountId"}
    permissions = [
        p["Properties"]
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == arn
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": arn,
            "Principal": "connect.amazonaws.com",
            "SourceAccount": account,
            "SourceArn": instance_arn,
        }
    ]
    associations = [
        {k: v for k, v in a["Properties"].items() if k != "Tags"}
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
        if a["Properties"]["IntegrationArn"] == arn
    ]
    assert associations == [
        {"InstanceId": instance_arn, "IntegrationArn": arn, "IntegrationType": "LAMBDA_FUNCTION"}
    ]
