"""The linter on flows other teams export: quiet where Connect itself writes a value, one warning
for another deploy system's placeholders, and loud about a loop a caller can never leave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowdoc.document import LoadedFlow
from tandem.flows import lint_flow, load_flow
from tandem.flows.lint import MODULE, flow_type_of, is_deployed_flow, strongly_connected
from tests.conftest import REPO
from tests.flows.test_lint import CATALOG, Document, action, lint, the, valid_flow, write

# --- values Connect writes with other types --------------------------------------------------------


def show_view(view_data: dict[str, Any], **parameters: Any) -> Document:
    """A ShowView block as the designer exports it: ViewData holds booleans and numbers."""
    return {
        "Identifier": "show-form",
        "Type": "ShowView",
        "Parameters": {
            "ViewResource": {"Id": "arn:aws:connect:us-west-2:aws:view/form:1"},
            "InvocationTimeLimitSeconds": "300",
            "ViewData": view_data,
            **parameters,
        },
        "Transitions": {
            "NextAction": "goodbye",
            "Conditions": [
                {"NextAction": "goodbye", "Condition": {"Operator": "Equals", "Operands": ["Submit"]}}
            ],
            "Errors": [
                {"NextAction": "goodbye", "ErrorType": "NoMatchingCondition"},
                {"NextAction": "goodbye", "ErrorType": "NoMatchingError"},
                {"NextAction": "goodbye", "ErrorType": "TimeLimitExceeded"},
            ],
        },
    }


def with_block(block: Document) -> Document:
    """The valid flow with `block` inserted between the menu's "goodbye" path and its end."""
    document = valid_flow()
    document["Actions"].insert(-1, block)
    action(document, "transfer")["Transitions"]["Errors"][0]["NextAction"] = block["Identifier"]
    return document


VIEW_DATA = {
    "Heading": "$.Customer.LastName",
    "AttributeBar": [{"Label": "Case", "Value": "123456", "LinkType": "case", "Copyable": True}],
    "Sections": [{"Columns": 2, "Collapsible": False, "Fields": [{"Required": True, "MaxLength": 80}]}],
    "Timeout": 300,
    "Nothing": None,
}


def test_booleans_and_numbers_in_a_views_view_data_get_no_finding(tmp_path: Path) -> None:
    # Given a ShowView whose ViewData holds the booleans, numbers and nulls the designer writes
    document = with_block(show_view(VIEW_DATA))
    # When linted / Then nothing is reported
    assert [str(f) for f in lint(tmp_path, document)] == []


def test_a_top_level_parameter_connect_expects_as_a_string_is_still_flagged(tmp_path: Path) -> None:
    # Given the same view with its top-level time limit written as a number
    document = with_block(show_view(VIEW_DATA, InvocationTimeLimitSeconds=300))
    finding = the(lint(tmp_path, document), "non-string-value")
    assert (finding.action, finding.severity) == ("show-form", "warning")
    assert "Parameters.InvocationTimeLimitSeconds is 300" in finding.message and "'300'" in finding.message


@pytest.mark.parametrize(
    ("identifier", "where", "value", "path"),
    [
        ("lookup", ("LambdaInvocationAttributes", "step"), 3, "Parameters.LambdaInvocationAttributes.step"),
        ("menu", ("StoreInput",), False, "Parameters.StoreInput"),
    ],
)
def test_string_maps_connect_hands_on_as_strings_are_checked(
    tmp_path: Path, identifier: str, where: tuple[str, ...], value: Any, path: str
) -> None:
    document = valid_flow()
    node = action(document, identifier)["Parameters"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    finding = the(lint(tmp_path, document), "non-string-value")
    assert finding.action == identifier and finding.message.startswith(f"{path} is {json.dumps(value)}")


def test_nested_objects_of_other_services_and_unknown_blocks_are_not_judged(tmp_path: Path) -> None:
    # Given numbers in a nested payload of a known block, and anywhere in a block the table lacks
    document = valid_flow()
    action(document, "lookup")["Parameters"]["ResponseValidation"] = {"ResponseType": "JSON", "Depth": 2}
    action(document, "start")["Type"] = "UpdateRoutingCriteriaSomehow"
    action(document, "start")["Parameters"] = {"ProficiencyLevel": 3, "Enabled": True}
    # Then only the unknown type is mentioned (info), no value is
    assert [f.rule for f in lint(tmp_path, document)] == ["unknown-action-type"]


# --- other deploy systems' placeholders ----------------------------------------------------------


def templated_flow() -> Document:
    """Another team's flow: {{x.y}} templating in three values, ${X} in one, %X% in one."""
    document = valid_flow()
    action(document, "lookup")["Parameters"]["LambdaFunctionARN"] = "{{lambdas.Lookup.arn}}"
    action(document, "other-flow")["Parameters"]["ContactFlowId"] = "{{contactFlows.RulesEngineError.arn}}"
    action(document, "set-queue")["Parameters"]["QueueId"] = "{{ queues.general.arn }}"
    action(document, "goodbye")["Parameters"]["Text"] = "Call ${SupportNumber}."
    action(document, "check-hours")["Parameters"]["HoursOfOperationId"] = "%HoursArn%"
    return document


def test_foreign_placeholders_are_one_warning_per_file_naming_each_system(tmp_path: Path) -> None:
    findings = lint(tmp_path, templated_flow())
    (finding,) = findings
    assert (finding.rule, finding.severity, finding.action) == ("foreign-placeholders", "warning", "")
    assert "3 values use {{x.y}} templating" in finding.message
    assert "1 value uses ${X} substitution" in finding.message
    assert "1 value uses %X% tokens" in finding.message
    assert finding.message.endswith("not resolved by Tandem")


def test_strict_placeholders_make_each_foreign_value_an_error(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, templated_flow()))
    findings = lint_flow(loaded, CATALOG, strict_placeholders=True)
    by_action = {f.action: (f.rule, f.severity) for f in findings}
    assert by_action == {
        "lookup": ("placeholder-malformed", "error"),
        "other-flow": ("placeholder-malformed", "error"),
        "set-queue": ("placeholder-malformed", "error"),
        "goodbye": ("foreign-placeholder", "error"),
        "check-hours": ("foreign-placeholder", "error"),
    }


def test_a_malformed_typed_placeholder_is_an_error_even_when_not_strict(tmp_path: Path) -> None:
    document = valid_flow()
    action(document, "lookup")["Parameters"]["LambdaFunctionARN"] = "{{lambda:crm lookup}}"
    action(document, "set-queue")["Parameters"]["QueueId"] = "{{queue general}}"
    findings = lint(tmp_path, document)
    assert sorted((f.action, f.rule, f.severity) for f in findings) == [
        ("lookup", "placeholder-malformed", "error"),
        ("set-queue", "placeholder-malformed", "error"),
    ]


def test_files_in_the_repo_flows_folder_are_strict_by_default(tmp_path: Path) -> None:
    # Given the same templated document, once as a file elsewhere and once as a repo flow
    elsewhere = load_flow(write(tmp_path, templated_flow()))
    in_repo = LoadedFlow(REPO / "flows" / "templated.json", templated_flow())
    assert is_deployed_flow(in_repo.path) and not is_deployed_flow(elsewhere.path)
    # Then the repo's copy gets an error per value, the other one warning; the flag overrides both
    assert {f.severity for f in lint_flow(in_repo, CATALOG)} == {"error"}
    assert [f.severity for f in lint_flow(elsewhere, CATALOG)] == ["warning"]
    assert [f.severity for f in lint_flow(in_repo, CATALOG, strict_placeholders=False)] == ["warning"]


# --- loops a caller can never leave --------------------------------------------------------------


def step(identifier: str, type_: str, then: str, **transitions: Any) -> Document:
    parameters = {"Attributes": {"x": "1"}} if type_ == "UpdateContactAttributes" else {}
    return {
        "Identifier": identifier,
        "Type": type_,
        "Parameters": parameters,
        "Transitions": {"NextAction": then, **transitions},
    }


def flow(*actions: Document, **metadata: str) -> Document:
    document: Document = {
        "Version": "2019-10-30",
        "StartAction": actions[0]["Identifier"],
        "Actions": [*actions, {"Identifier": "end", "Type": "DisconnectParticipant", "Transitions": {}}],
    }
    if metadata:
        document["Metadata"] = metadata
    return document


PING_PONG = (
    step("a", "UpdateContactAttributes", "b"),
    step("b", "UpdateContactAttributes", "a"),
)


def test_two_blocks_pointing_at_each_other_are_an_endless_loop(tmp_path: Path) -> None:
    # Given a contact flow where a → b → a forever, nothing waiting and no way out
    findings = lint(tmp_path, flow(*PING_PONG))
    finding = the(findings, "endless-loop")
    # Then one error on the loop's first block, naming both
    assert (finding.action, finding.severity) == ("a", "error")
    assert "a → b" in finding.message
    assert {f.rule for f in findings} == {"endless-loop", "unreachable"}  # "end" is never reached


def test_a_block_that_loops_to_itself_is_an_endless_loop(tmp_path: Path) -> None:
    findings = lint(tmp_path, flow(step("a", "UpdateFlowAttributes", "a")))
    assert the(findings, "endless-loop").action == "a"


@pytest.mark.parametrize(
    ("name", "actions"),
    [
        (
            "a condition branch leaves",
            (
                step("a", "UpdateContactAttributes", "b"),
                step(
                    "b",
                    "Compare",
                    "a",
                    Conditions=[
                        {"NextAction": "end", "Condition": {"Operator": "Equals", "Operands": ["x"]}}
                    ],
                ),
            ),
        ),
        (
            "an error branch leaves",
            (
                step("a", "UpdateContactAttributes", "b"),
                step(
                    "b",
                    "InvokeLambdaFunction",
                    "a",
                    Errors=[{"NextAction": "end", "ErrorType": "NoMatchingError"}],
                ),
            ),
        ),
        ("a prompt plays", (step("a", "UpdateContactAttributes", "b"), step("b", "MessageParticipant", "a"))),
        ("the caller is asked", (step("a", "Loop", "b"), step("b", "GetParticipantInput", "a"))),
        (
            "a transfer leaves on success",
            (step("a", "UpdateContactAttributes", "b"), step("b", "TransferToFlow", "a")),
        ),
        (
            "a block the table lacks",
            (step("a", "UpdateContactAttributes", "b"), step("b", "SomethingNew", "a")),
        ),
    ],
)
def test_a_loop_with_an_exit_or_a_wait_is_not_endless(
    tmp_path: Path, name: str, actions: tuple[Document, ...]
) -> None:
    assert not [f for f in lint(tmp_path, flow(*actions)) if f.rule == "endless-loop"], name


@pytest.mark.parametrize(
    "wrap",
    [
        lambda d: {"Name": "q", "Type": "CUSTOMER_QUEUE", "Content": json.dumps(d)},
        lambda d: {"ContactFlowModule": {"Name": "m", "Content": json.dumps(d)}},
        lambda d: {**d, "Metadata": {"type": "agentWhisper"}},
    ],
    ids=["queue-wrapper", "module-wrapper", "whisper-metadata"],
)
def test_the_endless_loop_rule_applies_to_caller_facing_flows_only(tmp_path: Path, wrap: Any) -> None:
    findings = lint(tmp_path, wrap(flow(*PING_PONG)))
    assert not [f for f in findings if f.rule == "endless-loop"]


def test_an_unreachable_loop_is_left_to_the_unreachable_rule(tmp_path: Path) -> None:
    document = flow(step("start", "UpdateFlowAttributes", "end"), *PING_PONG)
    assert [f.rule for f in lint(tmp_path, document)] == ["unreachable", "unreachable"]


def test_the_repos_hold_loop_is_clean_even_judged_as_a_contact_flow() -> None:
    # Given customer_queue.json, whose hold loop plays a prompt, asks for input and has exits
    loaded = load_flow(REPO / "flows" / "customer_queue.json")
    assert flow_type_of(loaded) == "CUSTOMER_QUEUE"
    # When judged as if the caller sat in it (a contact flow) / Then no loop is endless
    findings = lint_flow(loaded, flow_type="CONTACT_FLOW")
    assert [str(f) for f in findings if f.rule == "endless-loop"] == []


def test_the_same_hold_loop_without_its_prompt_input_and_exits_is_endless(tmp_path: Path) -> None:
    # Given the hold loop reduced to its non-waiting blocks, every branch pointing back inside
    document = flow(
        step("hold-loop", "Loop", "read-queue-metrics"),
        step(
            "read-queue-metrics",
            "GetMetricData",
            "check-oldest-wait",
            Errors=[{"NextAction": "hold-loop", "ErrorType": "NoMatchingError"}],
        ),
        step(
            "check-oldest-wait",
            "Compare",
            "hold-loop",
            Errors=[{"NextAction": "hold-loop", "ErrorType": "NoMatchingCondition"}],
        ),
    )
    assert the(lint(tmp_path, document), "endless-loop").action == "hold-loop"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"Name": "x", "Type": "queue_transfer", "Content": "{}"}, "QUEUE_TRANSFER"),
        ({"Metadata": {"type": "customerQueue"}}, "CUSTOMER_QUEUE"),
        ({"Metadata": {"type": "contactFlow"}}, "CONTACT_FLOW"),
        ({"Actions": [{"Type": "EndFlowModuleExecution"}]}, MODULE),
        ({"Actions": [{"Type": "EndFlowExecution"}]}, ""),
        ({"Actions": [{"Type": "MessageParticipant"}]}, "CONTACT_FLOW"),
    ],
)
def test_the_flow_type_comes_from_the_wrapper_metadata_or_blocks(content: Document, expected: str) -> None:
    wrapper = {k: v for k, v in content.items() if k in {"Name", "Type"}}
    document = {k: v for k, v in content.items() if k not in wrapper and k != "Content"}
    assert flow_type_of(LoadedFlow(Path("elsewhere.json"), document, wrapper=wrapper)) == expected


def test_strongly_connected_components_without_recursion() -> None:
    # A chain far longer than Python's recursion limit, closed into one loop, plus a separate pair
    chain = {i: [i + 1] for i in range(5000)} | {5000: [0], 6000: [6001], 6001: [6000, 5000]}
    components = sorted(sorted(c) for c in strongly_connected(chain))
    assert components == [list(range(5001)), [6000, 6001]]
