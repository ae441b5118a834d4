"""The synthesized template, in both modes: wiring, settings and least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from infra_support import (
    ACCOUNT,
    EXISTING_INSTANCE_ARN,
    LEX_ALIAS_ARN,
    REGION,
    REPO_ROOT,
    SECRET_ARN,
    Synthesized,
    function_named,
    resolve_join,
    resolve_join_named,
    role_statements,
)

from flowdoc.document import FLOW_CONTENT_MAX_CHARS
from flowdoc.placeholders import find_placeholders
from infra import constants
from infra.config import RETENTION_DAYS

pytestmark = pytest.mark.slow


def instance_arn_value(synth: Synthesized) -> Any:
    """What the template should use wherever the instance ARN is needed."""
    instances = synth.resources("AWS::Connect::Instance")
    if instances:
        (logical_id,) = instances
        return {"Fn::GetAtt": [logical_id, "Arn"]}
    return EXISTING_INSTANCE_ARN


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in [key, *strings(value)]]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return []


def function(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    return function_named(synth, "crm_lookup")


# --- modes ------------------------------------------------------------------------------------


def test_without_an_arn_the_stack_creates_one_connect_managed_instance(new_instance: Synthesized) -> None:
    # Given no connectInstanceArn / Then exactly one instance with calls and flow logs on
    _, instance = new_instance.only("AWS::Connect::Instance")
    props = instance["Properties"]
    assert props["IdentityManagementType"] == "CONNECT_MANAGED"
    assert props["InstanceAlias"] == "tandem-demo"
    assert props["Attributes"] == {"InboundCalls": True, "OutboundCalls": True, "ContactflowLogs": True}


def test_with_an_arn_the_stack_imports_the_instance_in_its_account_and_region(
    existing_instance: Synthesized,
) -> None:
    # Given an instance ARN / Then no instance is created and the stack targets its environment
    assert existing_instance.resources("AWS::Connect::Instance") == {}
    assert (existing_instance.stack.account, existing_instance.stack.region) == (ACCOUNT, REGION)


# --- Connect wiring ---------------------------------------------------------------------------


def test_connect_may_invoke_each_function_only_from_this_instance_and_account(each_mode: Synthesized) -> None:
    # Given the synthesized stack / When its Lambda permissions are read
    flow_invoked = [fn.name for fn in each_mode.stack.functions.flow_invoked]
    permissions = [
        p
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "connect.amazonaws.com"
    ]  # the experiment guard's schedule has its own: test_infra_experiment_guard.py
    # Then there is one per flow-invoked function, letting connect.amazonaws.com in, scoped by
    # instance ARN and account
    assert len(permissions) == len(flow_invoked)
    by_function = {json.dumps(p["Properties"]["FunctionName"]): p["Properties"] for p in permissions}
    expected_account = ACCOUNT if each_mode.stack.config.existing_instance else {"Ref": "AWS::AccountId"}
    for name in flow_invoked:
        function_id, _ = function_named(each_mode, name)
        props = by_function[json.dumps({"Fn::GetAtt": [function_id, "Arn"]})]
        assert props["Principal"] == "connect.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert props["SourceArn"] == instance_arn_value(each_mode)
        assert props["SourceAccount"] == expected_account


def test_each_flow_invoked_function_has_one_integration_association(each_mode: Synthesized) -> None:
    # Given the flow-invoked functions / Then each has one association that uses the instance ARN
    flow_invoked = [fn.name for fn in each_mode.stack.functions.flow_invoked]
    assert sorted(flow_invoked) == ["crm_lookup", "escalation", "ivr_decision", "survey"]
    associations = [
        a["Properties"]
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
        if a["Properties"]["IntegrationType"] == "LAMBDA_FUNCTION"
    ]
    assert len(associations) == len(flow_invoked)
    for props in associations:
        assert props["InstanceId"] == instance_arn_value(each_mode)  # the ARN, not the id
    assert sorted(json.dumps(a["IntegrationArn"]) for a in associations) == sorted(
        json.dumps({"Fn::GetAtt": [function_named(each_mode, name)[0], "Arn"]}) for name in flow_invoked
    )


def test_a_lex_bot_is_associated_only_when_the_context_names_one(each_mode: Synthesized) -> None:
    # Given the mode's context (the existing-instance mode sets lexBotAliasArn, the other does not)
    lex = [
        {k: v for k, v in a["Properties"].items() if k != "Tags"}
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
        if a["Properties"]["IntegrationType"] == "LEX_BOT"
    ]
    # Then exactly that alias is associated with the instance, or nothing at all
    if each_mode.stack.config.lex_bot_alias_arn:
        assert lex == [
            {
                "InstanceId": instance_arn_value(each_mode),
                "IntegrationType": "LEX_BOT",
                "IntegrationArn": LEX_ALIAS_ARN,
            }
        ]
    else:
        assert lex == []
    kinds = {
        a["Properties"]["IntegrationType"]
        for a in each_mode.resources("AWS::Connect::IntegrationAssociation").values()
    }
    assert kinds <= {"LAMBDA_FUNCTION", "LEX_BOT"}


def test_hours_of_operation_cover_weekdays_and_saturday_morning(each_mode: Synthesized) -> None:
    # Given the main hours / Then they are Mon-Fri 08-18 and Sat 09-13 in the configured zone
    _, hours = each_mode.only("AWS::Connect::HoursOfOperation")
    props = hours["Properties"]
    assert props["TimeZone"] == "America/New_York"
    assert props["InstanceArn"] == instance_arn_value(each_mode)
    slots = {c["Day"]: (c["StartTime"], c["EndTime"]) for c in props["Config"]}
    weekday = ({"Hours": 8, "Minutes": 0}, {"Hours": 18, "Minutes": 0})
    assert slots == {
        **dict.fromkeys(["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"], weekday),
        "SATURDAY": ({"Hours": 9, "Minutes": 0}, {"Hours": 13, "Minutes": 0}),
    }


def test_queues_exist_and_are_exposed_by_name(each_mode: Synthesized) -> None:
    # Given the queues / Then all five exist on the main hours and are exposed name → ARN
    queues = each_mode.resources("AWS::Connect::Queue")
    hours_id, _ = each_mode.only("AWS::Connect::HoursOfOperation")
    assert sorted(q["Properties"]["Name"] for q in queues.values()) == [
        "Tandem Billing",
        "Tandem Callback",
        "Tandem Complaints",
        "Tandem General",
        "Tandem Priority",
    ]
    for queue in queues.values():
        assert queue["Properties"]["HoursOfOperationArn"] == {"Fn::GetAtt": [hours_id, "HoursOfOperationArn"]}
    assert sorted(each_mode.stack.connect.queue_arns) == sorted(constants.QUEUE_NAMES)


# --- flows ------------------------------------------------------------------------------------


def test_every_flow_file_is_deployed_with_its_type_and_title(each_mode: Synthesized) -> None:
    # Given flows/*.json / Then each is one ContactFlow named "Tandem <Title>" with its type
    flows = {
        f["Properties"]["Name"]: f["Properties"]
        for f in each_mode.resources("AWS::Connect::ContactFlow").values()
    }
    stems = sorted(p.stem for p in (REPO_ROOT / "flows").glob("*.json"))
    assert stems == ["agent_whisper", "customer_queue", "inbound_main", "post_call_survey"]
    assert {name: props["Type"] for name, props in flows.items()} == {
        "Tandem Inbound Main": "CONTACT_FLOW",
        "Tandem Customer Queue": "CUSTOMER_QUEUE",
        "Tandem Agent Whisper": "AGENT_WHISPER",
        "Tandem Post Call Survey": "CONTACT_FLOW",
    }
    for props in flows.values():
        assert props["InstanceArn"] == instance_arn_value(each_mode)


def flow_content(synth: Synthesized, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The deployed flow's document (tokens as TOKENn markers) and marker → intrinsic."""
    (flow,) = [
        f for f in synth.resources("AWS::Connect::ContactFlow").values() if f["Properties"]["Name"] == title
    ]
    text, markers = resolve_join_named(flow["Properties"]["Content"])
    return json.loads(text), markers


def test_flow_content_has_no_unresolved_placeholders_and_points_at_stack_resources(
    each_mode: Synthesized,
) -> None:
    # Given the deployed flow Content (a Fn::Join of JSON text and ARN tokens)
    for flow in each_mode.resources("AWS::Connect::ContactFlow").values():
        content = flow["Properties"]["Content"]
        # When the join is flattened, with a quote-free stand-in for each token
        text = resolve_join(content, token="TOKEN")
        # Then it is valid JSON with no placeholder left and no literal ARN but the Lex alias the
        # context names (a setting, not a stack resource)
        document = json.loads(text)
        assert not [v for v in strings(document) if "{{" in v or "}}" in v]
        assert find_placeholders(document, source="template") == []
        assert "arn:aws" not in text.replace(LEX_ALIAS_ARN, "")
        assert len(text) < FLOW_CONTENT_MAX_CHARS
        assert document["Version"] == "2019-10-30"
    # And inbound_main's tokens are the three functions it calls, two queues and three flows
    resources = each_mode.template["Resources"]
    _, markers = flow_content(each_mode, "Tandem Inbound Main")
    named = set()
    for intrinsic in markers.values():
        logical_id, attribute = intrinsic["Fn::GetAtt"]
        resource = resources[logical_id]
        if resource["Type"] == "AWS::Lambda::Function":
            named.add(("lambda", resource["Properties"]["Handler"].split(".")[1], attribute))
        else:
            named.add((resource["Type"], resource["Properties"]["Name"], attribute))
    assert named == {
        ("lambda", "crm_lookup", "Arn"),
        ("lambda", "ivr_decision", "Arn"),
        ("lambda", "escalation", "Arn"),
        ("AWS::Connect::Queue", "Tandem General", "QueueArn"),
        ("AWS::Connect::Queue", "Tandem Callback", "QueueArn"),
        ("AWS::Connect::ContactFlow", "Tandem Customer Queue", "ContactFlowArn"),
        ("AWS::Connect::ContactFlow", "Tandem Post Call Survey", "ContactFlowArn"),
        ("AWS::Connect::ContactFlow", "Tandem Agent Whisper", "ContactFlowArn"),
    }


def test_the_lex_setting_resolves_to_the_alias_or_to_empty(each_mode: Synthesized) -> None:
    # Given the inbound flow as deployed / When the block that holds the Lex setting is read
    document, _ = flow_content(each_mode, "Tandem Inbound Main")
    (block,) = [a for a in document["Actions"] if a["Identifier"] == "set-lex-setting"]
    value = block["Parameters"]["FlowAttributes"]["lexBot"]["Value"]
    # Then it is the configured alias ARN, or "" (DTMF menu only) when the context has none
    assert value == (each_mode.stack.config.lex_bot_alias_arn or "")
    assert value == (LEX_ALIAS_ARN if each_mode.stack.config.existing_instance else "")


def test_every_flow_lambda_block_outlasts_the_function_it_calls(each_mode: Synthesized) -> None:
    # Given every InvokeLambdaFunction in every deployed flow
    resources = each_mode.template["Resources"]
    seen = set()
    for flow in each_mode.resources("AWS::Connect::ContactFlow").values():
        text, markers = resolve_join_named(flow["Properties"]["Content"])
        for action in json.loads(text)["Actions"]:
            if action["Type"] != "InvokeLambdaFunction":
                continue
            params = action["Parameters"]
            logical_id, _ = markers[params["LambdaFunctionARN"]]["Fn::GetAtt"]
            function = resources[logical_id]["Properties"]
            limit = int(params["InvocationTimeLimitSeconds"])
            # Then the block waits at most 8 s and at least one second longer than the function
            # may run, so the function's own fallback answer always arrives before Connect gives up
            assert function["Timeout"] + 1 <= limit <= 8, action["Identifier"]
            assert {e["ErrorType"] for e in action["Transitions"]["Errors"]} == {"NoMatchingError"}
            seen.add(function["Handler"].split(".")[1])
    assert seen == {"crm_lookup", "ivr_decision", "escalation", "survey"}


def test_flow_display_names_are_title_case() -> None:
    # Given file stems / Then display names are "Tandem" plus title case
    from infra.constructs.flows import flow_display_name

    assert flow_display_name("inbound_main") == "Tandem Inbound Main"
    assert flow_display_name("after_hours_v2") == "Tandem After Hours V2"


def test_a_flow_with_an_unknown_placeholder_stops_synth_naming_file_and_placeholder(tmp_path: Path) -> None:
    # Given a flows directory whose flow calls a function that does not exist
    from aws_cdk import App

    from flowdoc.placeholders import PlaceholderError
    from infra.config import TandemConfig
    from infra.stack import TandemStack

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "broken.json").write_text(
        json.dumps({"Actions": [{"Parameters": {"LambdaFunctionARN": "{{lambda:nope}}"}}]})
    )
    # When the stack is built / Then it fails with the file and the placeholder
    with pytest.raises(
        PlaceholderError, match=r"^flows/broken\.json: unknown placeholder \{\{lambda:nope\}\}"
    ):
        TandemStack(App(), "Broken", config=TandemConfig.from_context({}.get), flows_dir=flows)


def test_flows_that_reference_each_other_stop_synth(tmp_path: Path) -> None:
    # Given two flows that need each other's ARN / When the stack is built / Then synth stops
    from aws_cdk import App

    from flowdoc.placeholders import PlaceholderError
    from infra.config import TandemConfig
    from infra.stack import TandemStack

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.json").write_text(json.dumps({"x": "{{flow:b}}"}))
    (flows / "b.json").write_text(json.dumps({"x": "{{flow:a}}"}))
    with pytest.raises(PlaceholderError, match=r"cycle \(a → b → a\)"):
        TandemStack(App(), "Cycle", config=TandemConfig.from_context({}.get), flows_dir=flows)


# --- CTR pipeline -----------------------------------------------------------------------------


def test_ctrs_stream_to_an_encrypted_kinesis_stream(each_mode: Synthesized) -> None:
    # Given the CTR pipeline / Then an encrypted 24 h stream receives CONTACT_TRACE_RECORDS
    stream_id, stream = each_mode.only("AWS::Kinesis::Stream")
    props = stream["Properties"]
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert props["RetentionPeriodHours"] == 24
    assert props["ShardCount"] == 1
    _, storage = each_mode.only("AWS::Connect::InstanceStorageConfig")
    assert storage["Properties"] == {
        "InstanceArn": instance_arn_value(each_mode),
        "ResourceType": "CONTACT_TRACE_RECORDS",
        "StorageType": "KINESIS_STREAM",
        "KinesisStreamConfig": {"StreamArn": {"Fn::GetAtt": [stream_id, "Arn"]}},
    }


# --- tables -----------------------------------------------------------------------------------


def test_tables_are_on_demand_with_pitr_encryption_and_ttl(new_instance: Synthesized) -> None:
    # Given every table in ALL_TABLES / Then it is on-demand, PITR, SSE, TTL as specified, retained
    from lambdas.shared.tables import ALL_TABLES

    tables = new_instance.resources("AWS::DynamoDB::Table")
    assert len(tables) == len(ALL_TABLES)
    by_spec = {spec.logical_name: spec for spec in ALL_TABLES}
    for logical_id, table in tables.items():
        spec = next(s for name, s in by_spec.items() if logical_id.startswith(f"Data{name}"))
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        if spec.ttl_attribute:
            assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props
        # Retained by default; Customers is retained whatever the context says.
        assert table["DeletionPolicy"] == "Retain"


def test_destroy_policy_spares_the_customers_table() -> None:
    # Given dataRemovalPolicy=destroy (a throwaway demo stack)
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from infra.constructs.data import Data

    stack = Stack(App(), "Probe")
    Data(stack, "Data", retain_all=False)
    # When the tables synthesize / Then only Customers, the embedded CRM, is retained
    policies = {
        logical_id.removeprefix("Data")[:-8]: table["DeletionPolicy"]
        for logical_id, table in Template.from_stack(stack).find_resources("AWS::DynamoDB::Table").items()
    }
    assert policies == {"Customers": "Retain", "Interactions": "Delete", "Metrics": "Delete"}


# --- the function -----------------------------------------------------------------------------


def test_crm_lookup_uses_tandems_standard_wiring(each_mode: Synthesized) -> None:
    # Given crm_lookup / Then it has arm64, python3.14, JSON logs to its group, tracing, a short timeout
    _, fn = function(each_mode)
    props = fn["Properties"]
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.14"
    assert props["Handler"] == "lambdas.crm_lookup.handler.lambda_handler"
    assert props["MemorySize"] == 512
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = each_mode.template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert props["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": {"Ref": log_group_id},
    }
    assert log_group["Properties"]["RetentionInDays"] == 30


def test_environment_for_the_dynamodb_adapter(new_instance: Synthesized) -> None:
    # Given the DynamoDB adapter / Then the function gets exactly these variables
    _, fn = function(new_instance)
    customers_id = next(
        k for k in new_instance.resources("AWS::DynamoDB::Table") if k.startswith("DataCustomers")
    )
    assert fn["Properties"]["Environment"]["Variables"] == {
        "CUSTOMERS_TABLE": {"Ref": customers_id},
        "CRM_ADAPTER": "dynamodb",
        "LOOKUP_BUDGET_MS": "2000",
        "DEFAULT_COUNTRY": "US",
        "POWERTOOLS_SERVICE_NAME": "tandem-crm-lookup",
        "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_environment_for_the_http_adapter(existing_instance: Synthesized) -> None:
    # Given the HTTP adapter / Then the function gets the URL and secret ARN, no table
    _, fn = function(existing_instance)
    variables = fn["Properties"]["Environment"]["Variables"]
    assert variables["CRM_ADAPTER"] == "http"
    assert variables["CRM_HTTP_BASE_URL"] == "https://crm.example.com/api"
    assert variables["CRM_HTTP_SECRET_ARN"] == SECRET_ARN
    assert "CUSTOMERS_TABLE" not in variables


def test_the_runtime_is_the_newest_python_even_if_cdk_lags() -> None:
    # determine_latest_python_runtime answers python3.13 in aws-cdk-lib 2.275.0; Tandem must not.
    # Given CDK's runtime helper / Then Tandem still picks python3.14
    from aws_cdk import App, Stack
    from aws_cdk import aws_lambda as lambda_

    from infra.constructs.tandem_function import latest_python_runtime

    stack = Stack(App(), "Probe")
    assert lambda_.Runtime.determine_latest_python_runtime(stack).name in {"python3.13", "python3.14"}
    assert latest_python_runtime(stack).name == "python3.14"


def test_a_flow_invoked_function_must_time_out_before_the_block() -> None:
    # Given a timeout equal to the block limit / When the function is built / Then it is refused
    from aws_cdk import App, Stack
    from aws_cdk import aws_lambda as lambda_

    from infra.config import TandemConfig
    from infra.constructs.tandem_function import TandemFunction

    with pytest.raises(ValueError, match="must be below the flow block's 4s limit"):
        TandemFunction(
            Stack(App(), "Probe"),
            "crm_lookup",
            description="too slow",
            runtime=lambda_.Runtime.PYTHON_3_14,
            config=TandemConfig.from_context({}.get),
            environment={},
            flow_invoked=True,
            timeout_seconds=constants.FLOW_BLOCK_TIME_LIMIT_SECONDS,
        )
    assert constants.FUNCTION_TIMEOUT_SECONDS < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS


def test_every_accepted_retention_maps_to_a_cdk_value() -> None:
    # Given every accepted retention / Then CDK has a RetentionDays for it
    from infra.constructs.tandem_function import retention_days

    for days in RETENTION_DAYS:
        assert retention_days(days) is not None


# --- IAM --------------------------------------------------------------------------------------


def statements(synth: Synthesized) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for role in synth.resources("AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
    for policy in synth.resources("AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_iam_has_no_wildcard_actions_and_star_resources_only_for_xray(each_mode: Synthesized) -> None:
    # Given every IAM statement / Then no action is a wildcard and only X-Ray has Resource *
    for statement in statements(each_mode):
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions), statement
        if "*" in as_list(statement["Resource"]):
            assert set(actions) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, statement


@pytest.mark.parametrize("name", ["crm_lookup", "ivr_decision", "escalation", "survey"])
def test_each_role_has_no_managed_policies_and_writes_only_its_own_log_group(
    each_mode: Synthesized, name: str
) -> None:
    # Given a function's role / Then no managed policy; logs only to the function's own group
    assert len(each_mode.resources("AWS::IAM::Role")) == len(each_mode.stack.functions.all)
    _, fn = function_named(each_mode, name)
    role = each_mode.template["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]]
    log_group_id = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert "ManagedPolicyArns" not in role["Properties"]
    logs = [
        s
        for s in role_statements(each_mode, name)
        if any(a.startswith("logs:") for a in as_list(s["Action"]))
    ]
    assert logs == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


def test_dynamodb_access_is_query_on_the_phone_index_only(new_instance: Synthesized) -> None:
    # Given the DynamoDB adapter / Then crm_lookup's only DynamoDB right is Query on the phone index
    customers_id = next(
        k for k in new_instance.resources("AWS::DynamoDB::Table") if k.startswith("DataCustomers")
    )
    dynamo = [
        s
        for s in role_statements(new_instance, "crm_lookup")
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert dynamo == [
        {
            "Action": "dynamodb:Query",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [customers_id, "Arn"]}, "/index/byPhone"]]},
        }
    ]


def test_http_adapter_reads_only_its_secret_and_no_table(existing_instance: Synthesized) -> None:
    # Given the HTTP adapter / Then crm_lookup may read its one secret and no table
    crm = role_statements(existing_instance, "crm_lookup")
    all_actions = [a for s in crm for a in as_list(s["Action"])]
    assert not any(a.startswith("dynamodb:") for a in all_actions)
    secrets = [s for s in crm if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    # And no other function can read it (escalation reads the keyed-hash secret, another one)
    everywhere = [
        s
        for s in statements(existing_instance)
        if "secretsmanager:GetSecretValue" in as_list(s["Action"]) and SECRET_ARN in as_list(s["Resource"])
    ]
    assert everywhere == secrets
    assert secrets == [{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": SECRET_ARN}]


def test_assertions_api_agrees_on_the_permission(existing_instance: Synthesized) -> None:
    # The same check through aws_cdk.assertions, as a guard against a hand-rolled reader bug.
    existing_instance.assertions().has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Principal": "connect.amazonaws.com",
            "SourceArn": EXISTING_INSTANCE_ARN,
            "SourceAccount": ACCOUNT,
        },
    )
