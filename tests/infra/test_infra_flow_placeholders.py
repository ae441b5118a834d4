"""Placeholder resolution (pure, no CDK) and the shape of the flows the stack deploys."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from infra_support import REPO_ROOT

from flowdoc.placeholders import (
    PlaceholderError,
    find_placeholders,
    find_reference_cycle,
    resolve_placeholders,
)
from infra import constants

SOURCE = "flows/test_flow.json"
VALUES = {
    "lambda": {"crm_lookup": "LAMBDA-ARN"},
    "queue": {"general": "QUEUE-GENERAL-ARN", "priority": "QUEUE-PRIORITY-ARN"},
    "hours": {"main": "HOURS-ARN"},
    "flow": {"after_hours": "FLOW-ARN"},
    "setting": {"lexBotAliasArn": "", "greeting": "Welcome"},
}


def lambda_block(arn: str) -> dict[str, Any]:
    return {"Actions": [{"Identifier": "lookup", "Parameters": {"LambdaFunctionARN": arn}}]}


def resolve_error(document: object) -> str:
    with pytest.raises(PlaceholderError) as caught:
        resolve_placeholders(document, VALUES, source=SOURCE)
    return str(caught.value)


def test_every_placeholder_type_resolves_to_its_value() -> None:
    # Given a document using each placeholder type, one of them inside a longer string
    document = {
        "Actions": [
            {"Parameters": {"LambdaFunctionARN": "{{lambda:crm_lookup}}"}},
            {"Parameters": {"QueueId": "{{queue:general}}"}},
            {"Parameters": {"HoursOfOperationId": "{{hours:main}}"}},
            {"Parameters": {"ContactFlowId": "{{flow:after_hours}}"}},
            {"Parameters": {"Text": "queues {{queue:general}} and {{queue:priority}}", "Loop": 3}},
            {"Parameters": {"FlowAttributes": {"lexBot": {"Value": "{{setting:lexBotAliasArn}}"}}}},
            {"Parameters": {"Text": "{{setting:greeting}}!"}},
        ]
    }
    # When resolved
    resolved = resolve_placeholders(document, VALUES, source=SOURCE)
    # Then each is replaced, other values are untouched and the input is not mutated
    assert resolved == {
        "Actions": [
            {"Parameters": {"LambdaFunctionARN": "LAMBDA-ARN"}},
            {"Parameters": {"QueueId": "QUEUE-GENERAL-ARN"}},
            {"Parameters": {"HoursOfOperationId": "HOURS-ARN"}},
            {"Parameters": {"ContactFlowId": "FLOW-ARN"}},
            {"Parameters": {"Text": "queues QUEUE-GENERAL-ARN and QUEUE-PRIORITY-ARN", "Loop": 3}},
            {"Parameters": {"FlowAttributes": {"lexBot": {"Value": ""}}}},  # an unset setting is ""
            {"Parameters": {"Text": "Welcome!"}},
        ]
    }
    assert document["Actions"][0]["Parameters"]["LambdaFunctionARN"] == "{{lambda:crm_lookup}}"


def test_connect_attribute_references_and_percent_names_are_left_alone() -> None:
    # Given Connect's own dynamic values and %Name% text, which are not Tandem placeholders
    document = {"Text": "Hello $.External.firstName", "Other": "%QueueName%", "Q": "$.Attributes.['a b']"}
    # When resolved / Then nothing changes
    assert resolve_placeholders(document, VALUES, source=SOURCE) == document


def test_an_unknown_type_names_the_file_and_the_placeholder() -> None:
    # Given a placeholder type Tandem does not know / Then the error names file, text and location
    message = resolve_error(lambda_block("{{function:crm_lookup}}"))
    assert message.startswith(f"{SOURCE}: unknown placeholder type 'function' in {{{{function:crm_lookup}}}}")
    assert "Actions[0].Parameters.LambdaFunctionARN" in message


def test_an_unknown_name_names_the_file_the_placeholder_and_the_known_names() -> None:
    # Given a misspelt function name / Then the error lists the names that exist
    message = resolve_error(lambda_block("{{lambda:crm}}"))
    assert message == (
        f"{SOURCE}: unknown placeholder {{{{lambda:crm}}}} at Actions[0].Parameters.LambdaFunctionARN: "
        "no lambda named 'crm' (known: crm_lookup)"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{{lambda crm}}", "{{lambda crm}}"),
        ("{{ lambda:crm_lookup }}", "{{ lambda:crm_lookup }}"),
        ("{{lambda:crm_lookup", "{{lambda:crm_lookup"),
        ("lambda:crm_lookup}}", "lambda:crm_lookup}}"),
        ("${CrmLookupArn}", "${CrmLookupArn}"),
        ("{{queue:}}", "{{queue:}}"),
    ],
)
def test_leftover_placeholder_like_text_is_an_error_naming_file_and_fragment(
    text: str, fragment: str
) -> None:
    # Given something that looks like a placeholder but is not a well-formed one
    message = resolve_error(lambda_block(text))
    # Then synth would stop with the file and the offending text
    assert message.startswith(f"{SOURCE}: malformed placeholder ")
    assert fragment in message


def test_placeholders_in_object_keys_are_checked_too() -> None:
    # Given a malformed placeholder used as an object key / Then it is caught as well
    message = resolve_error({"Attributes": {"{{lambda crm}}": "x"}})
    assert "malformed placeholder '{{lambda crm}}' at Attributes.{{lambda crm}}" in message


def test_a_literal_arn_is_rejected() -> None:
    # Given an account-specific ARN in a flow / Then it is refused in favour of a placeholder
    message = resolve_error(lambda_block("arn:aws:lambda:us-east-1:111122223333:function:crm"))
    assert message == (
        f"{SOURCE}: literal ARN at Actions[0].Parameters.LambdaFunctionARN; "
        "use a {{type:name}} placeholder instead"
    )


def test_find_placeholders_lists_type_name_and_location() -> None:
    # Given one placeholder / When listed / Then its type, name, text and path are reported
    found = find_placeholders(lambda_block("{{lambda:crm_lookup}}"), source=SOURCE)
    assert [(p.type, p.name, p.text, p.path) for p in found] == [
        ("lambda", "crm_lookup", "{{lambda:crm_lookup}}", "Actions[0].Parameters.LambdaFunctionARN")
    ]


@pytest.mark.parametrize(
    ("references", "cycle"),
    [
        ({"a": {"b"}, "b": set()}, None),
        ({"a": {"a"}}, ["a", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ],
)
def test_flow_reference_cycles_are_found(references: dict[str, set[str]], cycle: list[str] | None) -> None:
    # Given flow → flow references / Then a cycle (self-reference included) is reported
    assert find_reference_cycle(references) == cycle


# --- the repository's flows -------------------------------------------------------------------

FLOWS = sorted((REPO_ROOT / "flows").glob("*.json"))
IDENTIFIER_FORBIDDEN = re.compile(r"[%:()\\/=$,;\[\]{}]")
TERMINAL = {"DisconnectParticipant", "EndFlowExecution", "TransferContactToAgent", "EndFlowModuleExecution"}


def targets(action: dict[str, Any]) -> list[str]:
    transitions = action.get("Transitions", {})
    found = [transitions["NextAction"]] if "NextAction" in transitions else []
    found += [c["NextAction"] for c in transitions.get("Conditions", [])]
    found += [e["NextAction"] for e in transitions.get("Errors", [])]
    return found


@pytest.mark.parametrize("path", FLOWS, ids=[p.name for p in FLOWS])
def test_repository_flows_are_well_formed_flow_language(path: Any) -> None:
    # Given a flow from flows/ / When it is read as flow language
    flow = json.loads(path.read_text())
    actions = {a["Identifier"]: a for a in flow["Actions"]}
    # Then it is a complete 2019-10-30 document whose every transition lands on an action
    assert flow["Version"] == "2019-10-30"
    assert {"entryPointPosition", "ActionMetadata"} <= set(flow["Metadata"])
    assert len(actions) == len(flow["Actions"]) <= 250, "identifiers must be unique"
    assert flow["StartAction"] in actions
    for identifier, action in actions.items():
        assert len(identifier) <= 50 and not IDENTIFIER_FORBIDDEN.search(identifier), identifier
        for target in targets(action):
            assert target in actions, f"{identifier} → {target} points nowhere"
        if action["Type"] in TERMINAL:
            assert action["Transitions"] == {}, identifier
        else:
            assert targets(action), f"{identifier} is a dead end"
    # And every action is reachable from the start
    seen, todo = set(), [flow["StartAction"]]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += targets(actions[current])
    assert seen == set(actions)


@pytest.mark.parametrize("path", FLOWS, ids=[p.name for p in FLOWS])
def test_repository_flow_lambda_blocks_use_the_block_limit_and_an_error_branch(path: Any) -> None:
    # Given every Lambda block in the repo's flows / Then it uses the shared limit and has an Error branch
    flow = json.loads(path.read_text())
    for action in flow["Actions"]:
        if action["Type"] == "InvokeLambdaFunction":
            params = action["Parameters"]
            assert params["InvocationTimeLimitSeconds"] == str(constants.FLOW_BLOCK_TIME_LIMIT_SECONDS)
            assert params["InvocationType"] == "SYNCHRONOUS"
            assert params["LambdaFunctionARN"].startswith("{{lambda:")
            errors = {e["ErrorType"] for e in action["Transitions"]["Errors"]}
            assert "NoMatchingError" in errors


@pytest.mark.parametrize("path", FLOWS, ids=[p.name for p in FLOWS])
def test_repository_flows_resolve_with_the_names_infra_provides(path: Any) -> None:
    # Given the names the stack provides (function names are checked against the stack in the
    # template tests) / When the flow is resolved / Then nothing is unknown or left over
    values = {
        "lambda": dict.fromkeys(("crm_lookup", "ivr_decision", "escalation", "survey"), "x"),
        "queue": dict.fromkeys(constants.QUEUE_NAMES, "x"),
        "hours": dict.fromkeys(constants.HOURS_NAMES, "x"),
        "flow": {p.stem: "x" for p in FLOWS if p != path},
        "setting": dict.fromkeys(constants.SETTING_NAMES, ""),
    }
    resolved = resolve_placeholders(json.loads(path.read_text()), values, source=f"flows/{path.name}")
    assert "{{" not in json.dumps(resolved)
