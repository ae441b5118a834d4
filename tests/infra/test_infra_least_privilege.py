"""Least privilege, across the whole template: one walk over every IAM statement, in both modes.

Every `AWS::IAM::Policy` and every inline policy of every `AWS::IAM::Role` is read, and each
statement is reduced to (action, target) pairs, a target being the resource with its intrinsics
spelled out: `DataInteractions.Arn` (the logical id without CDK's hash, and the attribute),
`arn:${AWS::Partition}:ssm:…`, `*`, or `<own log group>` for the function's own group. Then:

- no Allow names an action with `*`, or uses NotAction / NotResource;
- `Resource: "*"` only for the actions in `STAR_RESOURCE_ACTIONS`, which AWS authorises on no
  resource type, and only where the resource carries a reasoned cdk-nag acknowledgement;
- each function's role grants exactly its row of `access()` (plus X-Ray and its own log group);
- each table, the secrets, the IVR path, the queues and the CTR pipeline are reached only by the
  functions `OWNERS` names; nobody reads Interactions;
- no role can pass a role, assume one, touch IAM or use KMS on `*`; every role is one function's
  execution role, trusted by Lambda alone, with no managed policy; no resource policy allows,
  but CloudWatch publishing this account's alarms to the alarm topic (its key policy:
  test_infra_monitoring.py).

The per-function tests (test_infra_<function>.py) read each grant's exact statement shape; this is
the one table a reviewer reads to see who may touch what. cdk-nag and cfn-lint are in
test_infra_nag.py and test_infra_cfn_lint.py.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from infra_support import (
    SECRET_ARN,
    Synthesized,
    from_this_accounts_alarms,
    function_named,
    resolve_join_named,
    spelled,
)

from infra import constants

pytestmark = pytest.mark.slow

Grant = tuple[str, str]  # (action, target)

FUNCTIONS = constants.FUNCTION_NAMES
OWN_LOG_GROUP = "<own log group>"
STAR_ACKNOWLEDGEMENT = "AwsSolutions-IAM5[Resource::*]"
# Actions AWS authorises on no resource type, so Resource "*" is the only form it accepts. Each
# reason is from the Service Authorization Reference ("if there is no value for this column, you
# must specify all resources ("*")"); anything added here needs the same.
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments": "X-Ray lists no resource type for it: active tracing needs Resource *",
    "xray:PutTelemetryRecords": "X-Ray lists no resource type for it: active tracing needs Resource *",
}
XRAY = tuple(STAR_RESOURCE_ACTIONS)
# What Lambda's Kinesis poller needs (CDK's KinesisEventSource grant, stream.grantRead), all on this
# stream's ARN. ListStreams and DescribeStreamConsumer are CDK's extras beyond Lambda's documented
# list; scoped to this one stream ARN they reach nothing else.
KINESIS_READ = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamConsumer",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:ListStreams",
    "kinesis:SubscribeToShard",
)
# What Lambda's on-failure destination needs to send a failed batch's description to the queue.
FAILURE_QUEUE_SEND = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
QUEUES = tuple(f"ConnectQueue{name.title()}.QueueArn" for name in constants.QUEUE_NAMES)


def ssm_path(path: str) -> str:
    return f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{path}"


def grants(actions: Iterable[str], *targets: str) -> set[Grant]:
    return {(action, target) for action in actions for target in targets}


def access(synth: Synthesized) -> dict[str, set[Grant]]:
    """Function → every (action, target) its role may have, beyond X-Ray and its own log group."""
    ivr_path = ssm_path(synth.stack.ivr_config.path)
    crm = {
        # The embedded CRM: one Query on the phone index, never the table itself.
        "dynamodb": grants(["dynamodb:Query"], "DataCustomers.Arn/index/byPhone"),
        # The HTTP CRM: its one secret, and no table.
        "http": grants(["secretsmanager:GetSecretValue"], SECRET_ARN),
    }[synth.stack.config.crm_adapter]
    return {
        "crm_lookup": crm,
        "ivr_decision": grants(["dynamodb:PutItem"], "DataInteractions.Arn")
        | grants(["ssm:GetParametersByPath"], ivr_path)
        # The keyed-hash secret an experiment's caller unit key derives from: read it, nothing more.
        | grants(["secretsmanager:GetSecretValue"], "KeyedHashSecret"),
        # Its handoff transaction is a Put and a ConditionCheck, each authorised as its own action.
        "escalation": grants(["dynamodb:PutItem", "dynamodb:ConditionCheckItem"], "DataInteractions.Arn")
        | grants(["ssm:GetParametersByPath"], ivr_path)
        | grants(["connect:GetCurrentMetricData"], *QUEUES)
        # The keyed-hash secret its callback claims' key derives from: read it, nothing more.
        | grants(["secretsmanager:GetSecretValue"], "KeyedHashSecret"),
        "survey": grants(["dynamodb:PutItem"], "DataInteractions.Arn"),
        "ctr_ingest": grants(
            ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], "DataMetrics.Arn"
        )
        | grants(KINESIS_READ, "CtrPipelineStream.Arn")
        | grants(FAILURE_QUEUE_SEND, "CtrPipelineIngestFailures.Arn")
        # Refused records' raw data, sent by the function itself (SendMessageBatch is sqs:SendMessage)
        | grants(["sqs:SendMessage"], "CtrPipelineRefusedRecords.Arn")
        # The keyed-hash secret the caller key of the recontact index derives from
        | grants(["secretsmanager:GetSecretValue"], "KeyedHashSecret"),
        # Reads the experiment and the counters; writes the one stop parameter; announces the stop
        # on the encrypted alarm topic (its key through SNS only: test_infra_experiment_guard.py).
        "experiment_guard": grants(["ssm:GetParametersByPath"], ivr_path)
        | grants(["ssm:PutParameter"], ssm_path("") + "FunctionsexperimentguardStop")
        | grants(["dynamodb:Query"], "DataMetrics.Arn")
        | grants(["sns:Publish"], "MonitoringAlarmTopic")
        | grants(["kms:Decrypt", "kms:GenerateDataKey"], "MonitoringAlarmTopicKey.Arn"),
    }


EVERY_FUNCTION = grants(XRAY, "*") | grants(["logs:CreateLogStream", "logs:PutLogEvents"], OWN_LOG_GROUP)

# Who may reach each data resource at all (by target prefix), whatever the action: an independent
# statement of ownership, so a grant added to access() for the wrong function still fails here.
OWNERS = {
    "DataCustomers.": {"crm_lookup"},
    "DataInteractions.": {"ivr_decision", "escalation", "survey"},  # each writes its own records
    "DataMetrics.": {"ctr_ingest", "experiment_guard"},  # the guard only reads (Query)
    "CtrPipeline": {"ctr_ingest"},
    "ConnectQueue": {"escalation"},
    "arn:aws:secretsmanager:": {"crm_lookup"},
    "KeyedHashSecret": {
        "ivr_decision",
        "escalation",
        "ctr_ingest",
    },  # the hashes of caller data (experiment units, callback claims, caller keys)
    "arn:${AWS::Partition}:ssm:": {"ivr_decision", "escalation", "experiment_guard"},
    "MonitoringAlarmTopic": {"experiment_guard"},  # the topic and its key: alarms publish as CloudWatch
}
INTERACTIONS_WRITES = {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"}  # nobody reads the records


# --- reading the template ----------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def prefix(logical_id: str) -> str:
    """The logical id without the 8-hex hash CDK appends: "DataMetrics99F86785" → "DataMetrics"."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)


def policies(synth: Synthesized) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    """(logical id of the resource holding it, role logical ids it applies to, statement) for every
    statement of every IAM policy: separate policies and roles' inline ones."""
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield logical_id, [logical_id], statement
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        roles = [r["Ref"] for r in policy["Properties"].get("Roles", [])]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, roles, statement


def target(resource: Any, own_log_group: str) -> str:
    """The resource as text, every intrinsic spelled out (see the module docstring)."""
    text, markers = resolve_join_named(resource)

    def spell(match: re.Match[str]) -> str:
        intrinsic = markers[match.group(0)]
        if "Fn::GetAtt" in intrinsic:
            logical_id, attribute = intrinsic["Fn::GetAtt"]
            return OWN_LOG_GROUP if logical_id == own_log_group else f"{prefix(logical_id)}.{attribute}"
        if "Ref" in intrinsic:
            ref = intrinsic["Ref"]
            return f"${{{ref}}}" if ref.startswith("AWS::") else prefix(ref)
        raise AssertionError(f"an intrinsic this walk cannot name: {json.dumps(intrinsic)}")

    return re.sub(r"TOKEN\d+", spell, text) if markers else text


def role_of(synth: Synthesized, name: str) -> str:
    return str(function_named(synth, name)[1]["Properties"]["Role"]["Fn::GetAtt"][0])


def own_log_group(synth: Synthesized, name: str) -> str:
    return str(function_named(synth, name)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def granted(synth: Synthesized) -> dict[str, set[Grant]]:
    """Function → every (action, target) its role's statements allow."""
    function_by_role = {role_of(synth, name): name for name in FUNCTIONS}
    found: dict[str, set[Grant]] = {name: set() for name in FUNCTIONS}
    for holder, roles, statement in policies(synth):
        for role in roles:
            assert role in function_by_role, f"{holder} applies to {role}, which is no function's role"
            name = function_by_role[role]
            logs = own_log_group(synth, name)
            found[name] |= {
                (action, target(resource, logs))
                for action in as_list(statement["Action"])
                for resource in as_list(statement["Resource"])
            }
    return found


def acknowledged(resource: dict[str, Any], rule_id: str) -> list[str]:
    """The reasons cdk-nag wrote into the resource's Metadata for acknowledging rule_id."""
    rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    return [str(rule.get("reason", "")) for rule in rules if rule.get("id") == rule_id]


# --- the walk ------------------------------------------------------------------------------------------


def test_every_statement_allows_named_actions_on_named_resources(each_mode: Synthesized) -> None:
    # Given every statement of every IAM policy / Then each is a plain Allow with no wildcard action
    walked = list(policies(each_mode))
    assert len(walked) >= 3 * len(FUNCTIONS)
    for holder, _, statement in walked:
        assert statement["Effect"] == "Allow", (holder, statement)
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, (holder, statement)
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, (holder, statement)
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), (holder, action)
        # And "*" is a whole resource or nowhere: no "table/*", no "parameter/tandem/*"
        for resource in as_list(statement["Resource"]):
            assert resource == "*" or "*" not in json.dumps(resource), (holder, statement)


def test_resource_star_only_where_aws_requires_it_and_acknowledged(each_mode: Synthesized) -> None:
    # Given the statements with Resource "*"
    starred = [(h, s) for h, _, s in policies(each_mode) if "*" in as_list(s["Resource"])]
    assert starred, "X-Ray's statements are among them"
    for holder, statement in starred:
        # Then every action is one AWS authorises on no resource type, alone in its statement
        assert set(as_list(statement["Action"])) <= set(STAR_RESOURCE_ACTIONS), (holder, statement)
        assert as_list(statement["Resource"]) == ["*"], (holder, statement)
        # And the resource holding it carries cdk-nag's acknowledgement, with a reason
        reasons = acknowledged(each_mode.template["Resources"][holder], STAR_ACKNOWLEDGEMENT)
        assert reasons and all(r.strip() for r in reasons), f"{holder}: no reasoned {STAR_ACKNOWLEDGEMENT}"


def test_the_star_acknowledgement_covers_no_more_than_the_roles_that_need_it(each_mode: Synthesized) -> None:
    # Given every resource acknowledging Resource * / Then it is a function's role or a policy of one
    # whose statements do use Resource * (an acknowledgement on anything else would hide a finding)
    starred_holders = {h for h, _, s in policies(each_mode) if "*" in as_list(s["Resource"])}
    starred_roles = {r for h, roles, s in policies(each_mode) if h in starred_holders for r in roles}
    for logical_id, resource in each_mode.template["Resources"].items():
        if acknowledged(resource, STAR_ACKNOWLEDGEMENT):
            assert logical_id in starred_holders | starred_roles, logical_id


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_may_do_exactly_what_its_row_says(each_mode: Synthesized, name: str) -> None:
    # Given the function's role, every statement reduced to (action, target)
    actual = granted(each_mode)[name]
    # Then it is X-Ray, its own log group and its row of ACCESS: nothing more, nothing missing
    expected = EVERY_FUNCTION | access(each_mode)[name]
    assert sorted(actual - expected) == [], "granted beyond its row"
    assert sorted(expected - actual) == [], "its row names a grant the template lacks"


def test_every_target_names_one_resource_of_this_stack(each_mode: Synthesized) -> None:
    # The walk names resources by logical-id prefix; each prefix must pick out exactly one resource
    ids = list(each_mode.template["Resources"])
    for rights in granted(each_mode).values():
        for _, name in rights:
            if name in ("*", OWN_LOG_GROUP) or name.startswith("arn:"):
                continue
            head = name.split(".", 1)[0]
            assert len([i for i in ids if prefix(i) == head]) == 1, name


def test_no_function_reaches_another_functions_data(each_mode: Synthesized) -> None:
    # Given who reaches what / Then each table, the secret, the path, the queues and the pipeline are
    # reached only by their owners (OWNERS, stated independently of ACCESS)
    reached: dict[str, set[str]] = {}
    for name, rights in granted(each_mode).items():
        for action, name_of_target in rights:
            if name_of_target in ("*", OWN_LOG_GROUP):
                continue
            owner = [p for p in OWNERS if name_of_target.startswith(p)]
            assert len(owner) == 1, f"{name}: {action} on {name_of_target}, which OWNERS does not list"
            reached.setdefault(owner[0], set()).add(name)
            if owner[0] == "DataInteractions.":
                assert action in INTERACTIONS_WRITES, f"{name} may {action} on the Interactions table"
    for resource, functions in reached.items():
        assert functions <= OWNERS[resource], f"{resource} reached by {sorted(functions - OWNERS[resource])}"
    # And each function's log group is written by that function alone
    groups = [own_log_group(each_mode, name) for name in FUNCTIONS]
    assert len(set(groups)) == len(FUNCTIONS)


def test_no_role_can_pass_or_assume_roles_touch_iam_or_use_kms_broadly(each_mode: Synthesized) -> None:
    for holder, _, statement in policies(each_mode):
        for action in as_list(statement["Action"]):
            service = action.split(":", 1)[0]
            assert service not in {"iam", "sts", "organizations"}, (holder, action)
            if service == "kms":
                assert "*" not in as_list(statement["Resource"]), (holder, statement)


def test_every_role_is_one_functions_execution_role_and_nothing_else(each_mode: Synthesized) -> None:
    # Given the roles / Then one per function, trusted by Lambda alone, no managed policy
    roles = each_mode.resources("AWS::IAM::Role")
    assert sorted(roles) == sorted(role_of(each_mode, name) for name in FUNCTIONS)
    for logical_id, role in roles.items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ], logical_id
    # And no other kind of identity or managed policy exists
    kinds = {
        r["Type"] for r in each_mode.template["Resources"].values() if r["Type"].startswith("AWS::IAM::")
    }
    assert kinds == {"AWS::IAM::Role", "AWS::IAM::Policy"}


def test_no_resource_policy_allows_anything(each_mode: Synthesized) -> None:
    # Resource policies outside IAM (the failure queue's and the alarm topic's TLS-only statements):
    # deny-only, but for CloudWatch publishing this account's alarms to the alarm topic (a topic
    # policy replaces SNS's default one, and CloudWatch has no identity policy). Connect's right to
    # invoke the functions is AWS::Lambda::Permission, scoped in test_infra_template.py.
    allowed = []
    for logical_id, resource in each_mode.template["Resources"].items():
        if resource["Type"].startswith("AWS::IAM::"):
            continue
        document = resource.get("Properties", {}).get("PolicyDocument")
        if document is None:
            continue
        for statement in document["Statement"]:
            if statement["Effect"] == "Deny":
                continue
            assert resource["Type"] == "AWS::SNS::TopicPolicy", (logical_id, statement)
            assert statement["Action"] == "sns:Publish", (logical_id, statement)
            assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}, (logical_id, statement)
            assert spelled(statement["Condition"]) == from_this_accounts_alarms(each_mode), (
                logical_id,
                statement,
            )
            assert resource["Properties"]["Topics"] == [statement["Resource"]], (logical_id, statement)
            allowed.append(logical_id)
    assert len(allowed) == 1, allowed


def test_the_resource_policy_walk_flags_a_loose_cloudwatch_grant(new_instance: Synthesized) -> None:
    # Negative control: the alarm topic's CloudWatch statement without its source-account condition
    loose = Synthesized(
        new_instance.app, new_instance.stack, copy.deepcopy(new_instance.template), new_instance.assembly_dir
    )
    (policy,) = loose.resources("AWS::SNS::TopicPolicy").values()
    (grant,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    del grant["Condition"]["StringEquals"]
    with pytest.raises(AssertionError):
        test_no_resource_policy_allows_anything(loose)


# --- the walk itself --------------------------------------------------------------------------------------


def test_the_walk_names_intrinsics_as_it_says() -> None:
    logs = "FunctionssurveyLogsB5ED65A5"
    assert target("*", logs) == "*"
    assert target({"Fn::GetAtt": [logs, "Arn"]}, logs) == OWN_LOG_GROUP
    assert (
        target({"Fn::GetAtt": ["FunctionscrmlookupLogs86779B1B", "Arn"]}, logs)
        == "FunctionscrmlookupLogs.Arn"
    )
    index = {"Fn::Join": ["", [{"Fn::GetAtt": ["DataCustomersF252F19A", "Arn"]}, "/index/byPhone"]]}
    assert target(index, logs) == "DataCustomers.Arn/index/byPhone"
    path = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, ":x"]]}
    assert target(path, logs) == "arn:${AWS::Partition}:ssm:${AWS::Region}:x"
    with pytest.raises(AssertionError, match="cannot name"):
        target({"Fn::ImportValue": "Elsewhere"}, logs)


def policy_of(synth: Synthesized, function: str) -> str:
    """The logical id of the AWS::IAM::Policy attached to `function`'s role (CDK's default policy)."""
    role = {"Ref": role_of(synth, function)}
    (found,) = [k for k, p in synth.resources("AWS::IAM::Policy").items() if role in p["Properties"]["Roles"]]
    return found


def tampered(synth: Synthesized, function: str, *statements: dict[str, Any]) -> Synthesized:
    """A copy of the synth whose `function` policy also holds `statements`."""
    template = copy.deepcopy(synth.template)
    template["Resources"][policy_of(synth, function)]["Properties"]["PolicyDocument"]["Statement"] += (
        statements
    )
    return Synthesized(synth.app, synth.stack, template, synth.assembly_dir)


def test_the_walk_flags_another_functions_table_and_a_wildcard_action(new_instance: Synthesized) -> None:
    # Negative control: survey given dynamodb:* on Customers (crm_lookup's table)
    customers = next(k for k in new_instance.template["Resources"] if prefix(k) == "DataCustomers")
    leaky = tampered(
        new_instance,
        "survey",
        {"Action": "dynamodb:*", "Effect": "Allow", "Resource": {"Fn::GetAtt": [customers, "Arn"]}},
    )
    assert ("dynamodb:*", "DataCustomers.Arn") in granted(leaky)["survey"]
    with pytest.raises(AssertionError, match="dynamodb:\\*"):
        test_every_statement_allows_named_actions_on_named_resources(leaky)
    with pytest.raises(AssertionError, match="reached by \\['survey'\\]"):
        test_no_function_reaches_another_functions_data(leaky)
    with pytest.raises(AssertionError, match="granted beyond its row"):
        test_each_function_may_do_exactly_what_its_row_says(leaky, "survey")
    # And a grant the row names, gone from the template, is missed too
    bare = tampered(new_instance, "survey")
    for resource in bare.template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [s for s in document["Statement"] if s["Action"] != "dynamodb:PutItem"]
    with pytest.raises(AssertionError, match="the template lacks"):
        test_each_function_may_do_exactly_what_its_row_says(bare, "survey")


def test_the_walk_flags_resource_star_beyond_x_ray(new_instance: Synthesized) -> None:
    # Negative control: escalation given ssm:GetParameter on "*" (its policy is acknowledged for X-Ray)
    broad = tampered(
        new_instance, "escalation", {"Action": "ssm:GetParameter", "Effect": "Allow", "Resource": "*"}
    )
    with pytest.raises(AssertionError, match="ssm:GetParameter"):
        test_resource_star_only_where_aws_requires_it_and_acknowledged(broad)
    # And X-Ray's statement without the acknowledgement on its policy is flagged
    unacknowledged = tampered(new_instance, "survey")
    del unacknowledged.template["Resources"][policy_of(new_instance, "survey")]["Metadata"]
    with pytest.raises(AssertionError, match="no reasoned"):
        test_resource_star_only_where_aws_requires_it_and_acknowledged(unacknowledged)
