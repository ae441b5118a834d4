"""ivr_decision in the synthesized template: the function, its grants, its SSM documents, the hours.

Reads the session-wide synths from conftest.py; the tests that need other defaults build a stack
from a temporary copy of lambdas/documents/defaults/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from infra_support import (
    ACCOUNT,
    EXISTING_INSTANCE_ARN,
    Synthesized,
    function_named,
    join_tokens,
    role_statements,
)

from infra import constants
from infra.ivr_documents import DEFAULTS_DIR, IvrDocumentError
from lambdas.documents import storage_format

pytestmark = pytest.mark.slow

PATH = "/tandem/Tandem/ivr"  # the stack is named "Tandem"
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def path_arn(suffix: str = "") -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ssm:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":parameter{PATH}{suffix}",
            ],
        ]
    }


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def table_id(synth: Synthesized, logical_name: str) -> str:
    return next(k for k in synth.resources("AWS::DynamoDB::Table") if k.startswith(f"Data{logical_name}"))


def default_file(name: str) -> Any:
    return json.loads((DEFAULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def parameters(synth: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """Parameter name → (logical id, resource), for the documents' parameters (the experiment's stop
    beside them is the guard's: test_infra_experiment_guard.py)."""
    return {
        resource["Properties"]["Name"]: (logical_id, resource)
        for logical_id, resource in synth.resources("AWS::SSM::Parameter").items()
        if resource["Properties"]["Name"] != storage_format.stop_parameter_name(PATH)
    }


def defaults_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "defaults"
    shutil.copytree(DEFAULTS_DIR, directory)
    return directory


def write_calendar(directory: Path, **changes: Any) -> None:
    calendar = default_file("calendar") | changes
    (directory / "calendar.json").write_text(json.dumps(calendar, ensure_ascii=False), encoding="utf-8")


def build_stack(ivr_defaults_dir: Path) -> Any:
    from aws_cdk import App

    from infra.config import TandemConfig
    from infra.stack import TandemStack

    return TandemStack(
        App(), "Tandem", config=TandemConfig.from_context({}.get), ivr_defaults_dir=ivr_defaults_dir
    )


# --- the function -----------------------------------------------------------------------------


def test_ivr_decision_uses_tandems_standard_wiring(each_mode: Synthesized) -> None:
    # Given ivr_decision / Then arm64, python3.14, JSON logs to its own group, tracing, a short timeout
    _, fn = function_named(each_mode, "ivr_decision")
    props = fn["Properties"]
    assert props["Description"] == "Tandem: decides machine or human for the Connect flow"
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.14"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert props["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": {"Ref": log_group_id},
    }
    log_group = each_mode.template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
    # And crm_lookup writes somewhere else
    _, crm = function_named(each_mode, "crm_lookup")
    assert crm["Properties"]["LoggingConfig"]["LogGroup"] != {"Ref": log_group_id}


def test_ivr_decision_environment_names_the_path_the_table_and_the_zone(each_mode: Synthesized) -> None:
    # Given ivr_decision / Then it gets exactly the variables lambdas/ivr_decision/config.py reads
    _, fn = function_named(each_mode, "ivr_decision")
    assert fn["Properties"]["Environment"]["Variables"] == {
        "IVR_CONFIG_PATH": PATH,
        "INTERACTIONS_TABLE": {"Ref": table_id(each_mode, "Interactions")},
        "TIME_ZONE": "America/New_York",
        "KEYED_HASH_SECRET_ARN": {"Ref": each_mode.only("AWS::SecretsManager::Secret")[0]},
        "POWERTOOLS_SERVICE_NAME": "tandem-ivr-decision",
        "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    # And the CLI finds the same path in the stack outputs
    assert each_mode.stack.ivr_config.path == PATH
    assert each_mode.template["Outputs"]["IvrConfigPath"]["Value"] == PATH


def test_ivr_decision_may_put_interactions_read_its_path_and_the_secret_and_nothing_else(
    each_mode: Synthesized,
) -> None:
    # Given ivr_decision's role / When the statements beyond logs and X-Ray are read
    granted = [
        s
        for s in role_statements(each_mode, "ivr_decision")
        if not all(a.startswith("logs:") or a in XRAY for a in as_list(s["Action"]))
    ]
    # Then it is GetParametersByPath on the path (which covers the levels below, the experiment's
    # stop included), PutItem on Interactions and GetSecretValue on the keyed-hash secret
    secret = {"Ref": each_mode.only("AWS::SecretsManager::Secret")[0]}
    assert sorted(granted, key=lambda s: str(s["Action"])) == [
        {
            "Action": "dynamodb:PutItem",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [table_id(each_mode, "Interactions"), "Arn"]},
        },
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": secret},
        {"Action": "ssm:GetParametersByPath", "Effect": "Allow", "Resource": path_arn()},
    ]
    # And no other DynamoDB, SSM or KMS action, and Resource * only for X-Ray
    for statement in role_statements(each_mode, "ivr_decision"):
        actions = as_list(statement["Action"])
        for action in actions:
            if action.startswith(("dynamodb:", "ssm:", "kms:", "secretsmanager:")):
                assert action in {
                    "dynamodb:PutItem",
                    "ssm:GetParametersByPath",
                    "secretsmanager:GetSecretValue",
                }, statement
        if "*" in as_list(statement["Resource"]):
            assert set(actions) == XRAY, statement


def test_no_other_function_reads_the_ivr_documents(each_mode: Synthesized) -> None:
    # Given crm_lookup's role / Then it has no SSM right at all
    actions = [a for s in role_statements(each_mode, "crm_lookup") for a in as_list(s["Action"])]
    assert not [a for a in actions if a.startswith("ssm:")]


def test_connect_may_invoke_ivr_decision_from_this_instance_and_account_only(each_mode: Synthesized) -> None:
    # Given ivr_decision / Then one permission lets connect.amazonaws.com in, scoped by instance and account
    function_id, _ = function_named(each_mode, "ivr_decision")
    permissions = [
        p["Properties"]
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    instances = each_mode.resources("AWS::Connect::Instance")
    instance_arn = {"Fn::GetAtt": [next(iter(instances)), "Arn"]} if instances else EXISTING_INSTANCE_ARN
    account = ACCOUNT if each_mode.stack.config.existing_instance else {"Ref": "AWS::AccountId"}
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "connect.amazonaws.com",
            "SourceAccount": account,
            "SourceArn": instance_arn,
        }
    ]
    # And one integration association lists it in the instance, by instance ARN
    associations = [
        {k: v for k, v in a["Properties"].items() if k != "Tags"}
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
        if a["Properties"]["IntegrationArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    assert associations == [
        {
            "InstanceId": instance_arn,
            "IntegrationArn": {"Fn::GetAtt": [function_id, "Arn"]},
            "IntegrationType": "LAMBDA_FUNCTION",
        }
    ]


def test_a_flow_can_call_ivr_decision_by_placeholder(tmp_path: Path) -> None:
    # Given a flow that names {{lambda:ivr_decision}}
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.config import TandemConfig
    from infra.stack import TandemStack

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "decide.json").write_text(
        json.dumps({"Actions": [{"Parameters": {"LambdaFunctionARN": "{{lambda:ivr_decision}}"}}]})
    )
    # When the stack is built
    stack = TandemStack(App(), "Tandem", config=TandemConfig.from_context({}.get), flows_dir=flows)
    template = Template.from_stack(stack).to_json()
    # Then the flow's content points at the ivr_decision function
    (flow,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Connect::ContactFlow"]
    (function_id,) = [
        k
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"]["Handler"] == "lambdas.ivr_decision.handler.lambda_handler"
    ]
    assert join_tokens(flow["Properties"]["Content"]) == [{"Fn::GetAtt": [function_id, "Arn"]}]


# --- the documents in SSM ---------------------------------------------------------------------


def test_the_default_documents_are_standard_string_parameters_under_the_path(each_mode: Synthesized) -> None:
    # Given the SSM parameters / Then each is a Standard-tier String within the 4 KB limit, under the path
    found = parameters(each_mode)
    assert found
    for name, (_, resource) in found.items():
        props = resource["Properties"]
        assert name.startswith(f"{PATH}/"), name
        assert props["Type"] == "String"
        assert props["Tier"] == "Standard"
        assert isinstance(props["Value"], str)
        assert len(props["Value"].encode("utf-8")) <= storage_format.PARAMETER_MAX_BYTES
        assert "{{" not in props["Value"]
    # And the shipped defaults (four documents since escalation's policy joined them) fit the two
    # GetParametersByPath pages of 10 storage_format budgets for; the reader follows NextToken,
    # so a second page costs one more call, not correctness
    assert len(found) <= 2 * storage_format.READ_PAGE_SIZE


def test_reassembled_parameters_equal_the_default_files(each_mode: Synthesized) -> None:
    # Given the parameter values as deployed / When the reader's decoder reassembles them
    values = {name: resource["Properties"]["Value"] for name, (_, resource) in parameters(each_mode).items()}
    decoded = storage_format.decode_documents(PATH, values)
    # Then every document comes back intact and equals its default file (as compact JSON)
    assert sorted(decoded) == sorted(storage_format.DOCUMENT_NAMES)
    for name, stored in decoded.items():
        assert isinstance(stored, storage_format.StoredDocument), stored
        assert stored.text == storage_format.compact_json(default_file(name))
        assert json.loads(stored.text) == default_file(name)
    # And nothing else is stored: exactly the heads and parts the format writes
    expected: set[str] = set()
    for name in storage_format.DOCUMENT_NAMES:
        expected |= set(
            storage_format.encode_document(PATH, name, storage_format.compact_json(default_file(name)))
        )
    assert set(values) == expected


def test_each_head_is_created_after_its_parts(each_mode: Synthesized) -> None:
    # Given each document's head and parts / Then the head depends on every part, and a part on nothing
    found = parameters(each_mode)
    for document in storage_format.DOCUMENT_NAMES:
        head = storage_format.head_name(PATH, document)
        parts = {found[name][0] for name in found if name.startswith(f"{head}/")}
        assert parts
        assert set(found[head][1].get("DependsOn", [])) == parts
        for name in found:
            if name.startswith(f"{head}/"):
                assert "DependsOn" not in found[name][1]


def test_every_part_names_its_documents_hash_so_a_changed_document_rewrites_all_its_parts(
    each_mode: Synthesized,
) -> None:
    # CloudFormation updates (PutParameter, overwrite) only the resources whose properties change;
    # a part whose slice of text did not move must still be rewritten over a pushed value.
    # Given each document's parts / Then each description carries the whole document's hash
    found = parameters(each_mode)
    for document in storage_format.DOCUMENT_NAMES:
        digest = storage_format.sha256_of(storage_format.compact_json(default_file(document)))
        head = storage_format.head_name(PATH, document)
        for name, (_, resource) in found.items():
            if name.startswith(f"{head}/"):
                assert f"(document sha256 {digest[:16]})" in resource["Properties"]["Description"], name
        assert json.loads(found[head][1]["Properties"]["Value"])["sha256"] == digest


def test_default_documents_with_a_wrong_kind_stop_synth_naming_the_file(tmp_path: Path) -> None:
    # Given a defaults copy whose rules declare the content kind
    directory = defaults_copy(tmp_path)
    rules = default_file("rules") | {"kind": "tandem/ivr-content"}
    (directory / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    # When the stack is built / Then it stops with one sentence naming the file
    with pytest.raises(IvrDocumentError) as caught:
        build_stack(directory)
    assert str(caught.value) == (
        f'{directory / "rules.json"}: "kind" must be "tandem/ivr-rules", got "tandem/ivr-content"'
    )


def test_a_document_with_double_braces_stops_synth_naming_the_file(tmp_path: Path) -> None:
    # Given content text with "{{", which SSM refuses in a value and CloudFormation may try to resolve
    directory = defaults_copy(tmp_path)
    content = default_file("content")
    content["description"] = "Hello {{firstName}}"
    (directory / "content.json").write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    # When the stack is built / Then it stops, naming the file
    with pytest.raises(IvrDocumentError, match=r'content\.json: contains "\{\{", which SSM parameter values'):
        build_stack(directory)


# --- hours of operation -----------------------------------------------------------------------


def hours_config(template: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    (hours,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Connect::HoursOfOperation"]
    slots = [
        (
            c["Day"],
            f"{c['StartTime']['Hours']:02d}:{c['StartTime']['Minutes']:02d}",
            f"{c['EndTime']['Hours']:02d}:{c['EndTime']['Minutes']:02d}",
        )
        for c in hours["Properties"]["Config"]
    ]
    return hours["Properties"]["TimeZone"], sorted(slots)


def test_hours_of_operation_are_the_calendars_weekly_section(each_mode: Synthesized) -> None:
    # Given the shipped calendar / Then the hours have one entry per interval of its weekly section
    calendar = default_file("calendar")
    expected = sorted((day, start, end) for day, pairs in calendar["weekly"].items() for start, end in pairs)
    time_zone, slots = hours_config(each_mode.template)
    assert slots == expected
    assert time_zone == calendar.get("timeZone", "America/New_York")
    # And there is no second source of hours left in the constants
    assert not hasattr(constants, "BUSINESS_HOURS")


def test_split_days_and_a_calendar_time_zone_reach_connect(tmp_path: Path) -> None:
    # Given a calendar with a lunch break on Monday, Sunday hours and its own time zone
    from aws_cdk.assertions import Template

    directory = defaults_copy(tmp_path)
    weekly = {"MONDAY": [["13:00", "17:00"], ["08:30", "12:00"]], "SUNDAY": [["10:00", "14:00"]]}
    write_calendar(directory, weekly=weekly, timeZone="Europe/London")
    # When the stack is built
    template = Template.from_stack(build_stack(directory)).to_json()
    # Then Connect gets one entry per interval, in the calendar's zone
    assert hours_config(template) == (
        "Europe/London",
        [("MONDAY", "08:30", "12:00"), ("MONDAY", "13:00", "17:00"), ("SUNDAY", "10:00", "14:00")],
    )


@pytest.mark.parametrize(
    ("weekly", "problem"),
    [
        ({"MONDAY": [["08:00"]]}, 'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"]'),
        ({"FRIDAY": [["18:00", "09:00"]]}, "weekly.FRIDAY[0] closes at 09:00, not after it opens at 18:00"),
        ({"FUNDAY": [["08:00", "18:00"]]}, 'weekly has unknown day "FUNDAY"'),
        ("9 to 5", '"weekly" must be an object of DAY'),
    ],
)
def test_a_malformed_weekly_section_stops_synth_naming_the_file(
    tmp_path: Path, weekly: object, problem: str
) -> None:
    # Given a calendar whose weekly section Connect (and the Lambda) could not use
    directory = defaults_copy(tmp_path)
    write_calendar(directory, weekly=weekly)
    # When the stack is built / Then one sentence names the file and the entry
    with pytest.raises(IvrDocumentError) as caught:
        build_stack(directory)
    message = str(caught.value)
    assert message.startswith(f"{directory / 'calendar.json'}: {problem}")
    assert "\n" not in message
