"""escalation in the synthesized template: the function, its environment, its grants, its document.

Reads the session-wide synths from conftest.py (both modes: a created instance and an imported one).
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
    role_statements,
)

from infra import constants
from infra.ivr_documents import DEFAULTS_DIR, IvrDocumentError
from lambdas.documents import storage_format

pytestmark = pytest.mark.slow

PATH = "/tandem/Tandem/ivr"  # the stack is named "Tandem"; the same path as ivr_decision's
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
DESCRIPTION = "Tandem: routes a handoff to the right queue and priority, with callback and agent context"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def instance_arn_value(synth: Synthesized) -> Any:
    instances = synth.resources("AWS::Connect::Instance")
    if instances:
        (logical_id,) = instances
        return {"Fn::GetAtt": [logical_id, "Arn"]}
    return EXISTING_INSTANCE_ARN


def interactions_id(synth: Synthesized) -> str:
    return next(k for k in synth.resources("AWS::DynamoDB::Table") if k.startswith("DataInteractions"))


def queue_arn_by_name(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Queue name (as in QUEUE_NAMES) → the GetAtt of that queue's ARN."""
    by_display = {q["Properties"]["Name"]: k for k, q in synth.resources("AWS::Connect::Queue").items()}
    return {
        name: {"Fn::GetAtt": [by_display[f"Tandem {name.title()}"], "QueueArn"]}
        for name in constants.QUEUE_NAMES
    }


def resolve_json_join(value: Any) -> Any:
    """Parse a Fn::Join that renders JSON, with each intrinsic put back where its text stood.

    Every intrinsic is replaced by a unique quote-free marker, the text is parsed as JSON (so the
    join is valid JSON whatever ARN CloudFormation substitutes, ARNs holding no quote or
    backslash), and each marker in the result is swapped back for its intrinsic.
    """
    assert isinstance(value, dict) and list(value) == ["Fn::Join"], value
    separator, parts = value["Fn::Join"]
    tokens: dict[str, Any] = {}
    text = ""
    for index, part in enumerate(parts):
        if isinstance(part, str):
            text += part
        else:
            marker = f"TOKEN{index}MARKER"
            tokens[marker] = part
            text += marker
        text += separator if index < len(parts) - 1 else ""

    def restore(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: restore(item) for key, item in node.items()}
        if isinstance(node, list):
            return [restore(item) for item in node]
        if isinstance(node, str) and node in tokens:
            return tokens[node]
        assert not (isinstance(node, str) and "MARKER" in node), f"a token is part of a longer string: {node}"
        return node

    return restore(json.loads(text))


# --- the function -----------------------------------------------------------------------------


def test_escalation_uses_tandems_standard_wiring(each_mode: Synthesized) -> None:
    # Given escalation / Then arm64, python3.14, JSON logs to its own group, tracing, a short timeout
    _, fn = function_named(each_mode, "escalation")
    props = fn["Properties"]
    assert props["Description"] == DESCRIPTION
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.14"
    assert props["MemorySize"] == constants.FUNCTION_MEMORY_MB
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] == constants.FUNCTION_TIMEOUT_SECONDS < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS
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
    # And no other function writes to that group
    for other in ("crm_lookup", "ivr_decision"):
        _, fn_other = function_named(each_mode, other)
        assert fn_other["Properties"]["LoggingConfig"]["LogGroup"] != {"Ref": log_group_id}
    # And it is one of the functions the flows may call
    assert "escalation" in [f.name for f in each_mode.stack.functions.flow_invoked]


def test_escalation_environment_has_exactly_its_variables(each_mode: Synthesized) -> None:
    # Given escalation / Then it gets the store path, the table, the zone, the instance and the queues
    _, fn = function_named(each_mode, "escalation")
    variables = fn["Properties"]["Environment"]["Variables"]
    assert {k: v for k, v in variables.items() if k != "QUEUE_ARNS"} == {
        "IVR_CONFIG_PATH": PATH,
        "INTERACTIONS_TABLE": {"Ref": interactions_id(each_mode)},
        "TIME_ZONE": "America/New_York",
        "CONNECT_INSTANCE_ARN": instance_arn_value(each_mode),
        "KEYED_HASH_SECRET_ARN": {"Ref": each_mode.only("AWS::SecretsManager::Secret")[0]},
        "POWERTOOLS_SERVICE_NAME": "tandem-escalation",
        "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    # And IVR_CONFIG_PATH is ivr_decision's path, so both read the same store
    _, decision = function_named(each_mode, "ivr_decision")
    assert decision["Properties"]["Environment"]["Variables"]["IVR_CONFIG_PATH"] == PATH


def test_queue_arns_is_a_json_object_of_every_queue_the_stack_creates(each_mode: Synthesized) -> None:
    # Given QUEUE_ARNS as synthesized (a Fn::Join CloudFormation resolves at deploy)
    _, fn = function_named(each_mode, "escalation")
    value = fn["Properties"]["Environment"]["Variables"]["QUEUE_ARNS"]
    # When the join is read as the JSON it renders / Then it maps each of the five names to its queue
    resolved = resolve_json_join(value)
    assert resolved == queue_arn_by_name(each_mode)
    assert (
        list(resolved)
        == list(constants.QUEUE_NAMES)
        == [
            "general",
            "priority",
            "billing",
            "complaints",
            "callback",
        ]
    )
    # And with real ARNs in place of the tokens, the text is a JSON object of strings
    separator, parts = value["Fn::Join"]
    arn = f"arn:aws:connect:eu-west-2:{ACCOUNT}:instance/i/queue/q"
    text = separator.join(part if isinstance(part, str) else arn for part in parts)
    assert json.loads(text) == dict.fromkeys(constants.QUEUE_NAMES, arn)


def test_the_escalation_policy_routes_only_to_queues_the_stack_creates(each_mode: Synthesized) -> None:
    # Given the shipped policy / Then every queue it names is in QUEUE_ARNS
    policy = json.loads((DEFAULTS_DIR / "escalation.json").read_text(encoding="utf-8"))
    assert set(policy["queues"]) <= set(constants.QUEUE_NAMES)
    assert each_mode.stack.ivr_config.escalation_queues == tuple(policy["queues"])


def test_a_policy_routing_to_a_queue_the_stack_lacks_stops_synth(tmp_path: Path) -> None:
    # Given a defaults copy whose escalation policy declares a "sales" queue the stack never creates
    from aws_cdk import App

    from infra.config import TandemConfig
    from infra.stack import TandemStack

    directory = tmp_path / "defaults"
    shutil.copytree(DEFAULTS_DIR, directory)
    policy = json.loads((directory / "escalation.json").read_text(encoding="utf-8"))
    policy["queues"].append("sales")
    (directory / "escalation.json").write_text(json.dumps(policy, ensure_ascii=False), encoding="utf-8")
    # When the stack is built / Then it stops with one sentence naming the file and the queue
    with pytest.raises(IvrDocumentError) as caught:
        TandemStack(App(), "Tandem", config=TandemConfig.from_context({}.get), ivr_defaults_dir=directory)
    assert str(caught.value).startswith(
        f'{directory / "escalation.json"}: queue "sales" is not one the stack creates'
    )


# --- IAM --------------------------------------------------------------------------------------


def test_escalation_may_do_exactly_what_it_needs(each_mode: Synthesized) -> None:
    # Given escalation's role / When the statements beyond its log group and X-Ray are read
    granted = [
        s
        for s in role_statements(each_mode, "escalation")
        if not all(a.startswith("logs:") or a in XRAY for a in as_list(s["Action"]))
    ]
    path_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ssm:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":parameter{PATH}",
            ],
        ]
    }
    queues = sorted(queue_arn_by_name(each_mode).values(), key=json.dumps)
    # Then: read the store's path; PutItem and ConditionCheckItem on Interactions (its transaction
    # is a Put and a ConditionCheck, each authorised as its own action); current metrics for this
    # stack's five queues, by ARN; the keyed-hash secret's value
    secret = {"Ref": each_mode.only("AWS::SecretsManager::Secret")[0]}
    assert sorted(granted, key=lambda s: str(s["Action"])) == [
        {
            "Action": ["dynamodb:ConditionCheckItem", "dynamodb:PutItem"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [interactions_id(each_mode), "Arn"]},
        },
        {
            "Action": "connect:GetCurrentMetricData",
            "Effect": "Allow",
            "Resource": queues,
        },
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": secret},
        {"Action": "ssm:GetParametersByPath", "Effect": "Allow", "Resource": path_arn},
    ]
    assert len(queues) == 5
    # And no other DynamoDB, SSM, KMS or Connect action; no Resource * except X-Ray; no wildcard
    for statement in role_statements(each_mode, "escalation"):
        actions = as_list(statement["Action"])
        for action in actions:
            assert "*" not in action, statement
            if action.startswith(("dynamodb:", "ssm:", "kms:", "connect:", "secretsmanager:")):
                assert action in {
                    "secretsmanager:GetSecretValue",
                    "dynamodb:PutItem",
                    "dynamodb:ConditionCheckItem",
                    "ssm:GetParametersByPath",
                    "connect:GetCurrentMetricData",
                }, statement
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                assert set(actions) == XRAY, statement
            else:
                assert "*" not in json.dumps(resource), statement


def test_the_metric_grant_names_queues_not_the_instance(each_mode: Synthesized) -> None:
    # GetCurrentMetricData authorises the queues in the request's filter; the instance is no resource
    # of it. Given the Connect statement / Then it names no instance ARN, created or imported
    (statement,) = [
        s
        for s in role_statements(each_mode, "escalation")
        if "connect:GetCurrentMetricData" in as_list(s["Action"])
    ]
    assert instance_arn_value(each_mode) not in statement["Resource"]
    assert all(r["Fn::GetAtt"][1] == "QueueArn" for r in statement["Resource"])


def test_only_escalation_reads_queue_metrics(each_mode: Synthesized) -> None:
    # Given the other functions' roles / Then none has any Connect action
    for name in ("crm_lookup", "ivr_decision"):
        actions = [a for s in role_statements(each_mode, name) for a in as_list(s["Action"])]
        assert not [a for a in actions if a.startswith("connect:")], name


# --- Connect wiring ---------------------------------------------------------------------------


def test_connect_may_invoke_escalation_from_this_instance_and_account_only(each_mode: Synthesized) -> None:
    # Given escalation / Then one permission lets connect.amazonaws.com in, scoped by instance and account
    function_id, _ = function_named(each_mode, "escalation")
    function_arn = {"Fn::GetAtt": [function_id, "Arn"]}
    permissions = [
        p["Properties"]
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == function_arn
    ]
    account = ACCOUNT if each_mode.stack.config.existing_instance else {"Ref": "AWS::AccountId"}
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": function_arn,
            "Principal": "connect.amazonaws.com",
            "SourceAccount": account,
            "SourceArn": instance_arn_value(each_mode),
        }
    ]
    # And one integration association lists it in the instance, by instance ARN
    associations = [
        {k: v for k, v in a["Properties"].items() if k != "Tags"}
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
        if a["Properties"]["IntegrationArn"] == function_arn
    ]
    assert associations == [
        {
            "InstanceId": instance_arn_value(each_mode),
            "IntegrationArn": function_arn,
            "IntegrationType": "LAMBDA_FUNCTION",
        }
    ]


def test_the_five_queues_exist_in_both_modes(each_mode: Synthesized) -> None:
    # Given the queues / Then the stack creates all five, in the instance, also when it is imported
    queues = each_mode.resources("AWS::Connect::Queue")
    assert sorted(q["Properties"]["Name"] for q in queues.values()) == [
        "Tandem Billing",
        "Tandem Callback",
        "Tandem Complaints",
        "Tandem General",
        "Tandem Priority",
    ]
    for queue in queues.values():
        assert queue["Properties"]["InstanceArn"] == instance_arn_value(each_mode)


# --- the escalation document in SSM -----------------------------------------------------------


def test_the_escalation_policy_is_deployed_and_decodes_back_to_the_file(each_mode: Synthesized) -> None:
    # Given the parameters under <path>/escalation
    head = storage_format.head_name(PATH, "escalation")
    values = {
        r["Properties"]["Name"]: r["Properties"]["Value"]
        for r in each_mode.resources("AWS::SSM::Parameter").values()
        if r["Properties"]["Name"] == head or r["Properties"]["Name"].startswith(f"{head}/")
    }
    # When the reader's decoder reassembles them
    decoded = storage_format.decode_documents(PATH, values, names=("escalation",))
    # Then the policy comes back intact, as the file's compact JSON, with its kind
    stored = decoded["escalation"]
    assert isinstance(stored, storage_format.StoredDocument), stored
    original = json.loads((DEFAULTS_DIR / "escalation.json").read_text(encoding="utf-8"))
    assert stored.text == storage_format.compact_json(original)
    assert json.loads(stored.text)["kind"] == "tandem/escalation-policy"
    # And exactly the head and parts the format writes, no more
    assert set(values) == set(storage_format.encode_document(PATH, "escalation", stored.text))
