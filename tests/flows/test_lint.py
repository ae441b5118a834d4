"""`tandem.flows.lint`: one crafted broken flow per rule, and the shapes a flow file comes in."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdoc.document import CONTENT_WRAPPER, DESCRIBE_WRAPPER, RAW
from tandem.flows import Catalog, Finding, FlowLoadError, lint_flow, load_flow, repo_catalog

BROKEN = Path(__file__).parent / "broken"

CATALOG = Catalog(
    types=("lambda", "queue", "flow", "hours"),
    names={
        "lambda": frozenset({"crm_lookup"}),
        "queue": frozenset({"general"}),
        "flow": frozenset({"inbound_main"}),
        "hours": frozenset({"main"}),
    },
)

Document = dict[str, Any]


def valid_flow() -> Document:
    """A small flow that uses every checked action type and every placeholder type correctly."""
    return {
        "Version": "2019-10-30",
        "StartAction": "start",
        "Metadata": {"entryPointPosition": {"x": 40, "y": 40}, "ActionMetadata": {}},
        "Actions": [
            {
                "Identifier": "start",
                "Type": "UpdateFlowLoggingBehavior",
                "Parameters": {"FlowLoggingBehavior": "Enabled"},
                "Transitions": {"NextAction": "check-hours"},
            },
            {
                "Identifier": "check-hours",
                "Type": "CheckHoursOfOperation",
                "Parameters": {"HoursOfOperationId": "{{hours:main}}"},
                "Transitions": {
                    "NextAction": "lookup",
                    "Conditions": [
                        {"NextAction": "lookup", "Condition": {"Operator": "Equals", "Operands": ["True"]}},
                        {
                            "NextAction": "other-flow",
                            "Condition": {"Operator": "Equals", "Operands": ["False"]},
                        },
                    ],
                    "Errors": [{"NextAction": "lookup", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "lookup",
                "Type": "InvokeLambdaFunction",
                "Parameters": {
                    "LambdaFunctionARN": "{{lambda:crm_lookup}}",
                    "InvocationTimeLimitSeconds": "4",
                    "InvocationType": "SYNCHRONOUS",
                    "LambdaInvocationAttributes": {
                        "step": "lookup",
                        "callerNumber": "$.CustomerEndpoint.Address",
                    },
                    "ResponseValidation": {"ResponseType": "STRING_MAP"},
                },
                "Transitions": {
                    "NextAction": "route",
                    "Errors": [{"NextAction": "set-queue", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "route",
                "Type": "Compare",
                "Parameters": {"ComparisonValue": "$.External.status"},
                "Transitions": {
                    "NextAction": "set-queue",
                    "Conditions": [
                        {"NextAction": "menu", "Condition": {"Operator": "Equals", "Operands": ["OK"]}}
                    ],
                    "Errors": [{"NextAction": "set-queue", "ErrorType": "NoMatchingCondition"}],
                },
            },
            {
                "Identifier": "menu",
                "Type": "GetParticipantInput",
                "Parameters": {
                    "Text": "Press 1 for a person.",
                    "StoreInput": "False",
                    "InputTimeLimitSeconds": "5",
                },
                "Transitions": {
                    "NextAction": "set-queue",
                    "Conditions": [
                        {"NextAction": "set-queue", "Condition": {"Operator": "Equals", "Operands": ["1"]}}
                    ],
                    "Errors": [
                        {"NextAction": "set-queue", "ErrorType": "InputTimeLimitExceeded"},
                        {"NextAction": "set-queue", "ErrorType": "NoMatchingCondition"},
                        {"NextAction": "set-queue", "ErrorType": "NoMatchingError"},
                    ],
                },
            },
            {
                "Identifier": "set-queue",
                "Type": "UpdateContactTargetQueue",
                "Parameters": {"QueueId": "{{queue:general}}"},
                "Transitions": {
                    "NextAction": "transfer",
                    "Errors": [{"NextAction": "goodbye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "transfer",
                "Type": "TransferContactToQueue",
                "Transitions": {
                    "NextAction": "goodbye",
                    "Errors": [
                        {"NextAction": "goodbye", "ErrorType": "QueueAtCapacity"},
                        {"NextAction": "goodbye", "ErrorType": "NoMatchingError"},
                    ],
                },
            },
            {
                "Identifier": "other-flow",
                "Type": "TransferToFlow",
                "Parameters": {"ContactFlowId": "{{flow:inbound_main}}"},
                "Transitions": {
                    "NextAction": "goodbye",
                    "Errors": [{"NextAction": "goodbye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "goodbye",
                "Type": "MessageParticipant",
                "Parameters": {"Text": "Goodbye."},
                "Transitions": {
                    "NextAction": "hang-up",
                    "Errors": [{"NextAction": "hang-up", "ErrorType": "NoMatchingError"}],
                },
            },
            {"Identifier": "hang-up", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }


def action(document: Document, identifier: str) -> Document:
    return next(a for a in document["Actions"] if a.get("Identifier") == identifier)  # type: ignore[no-any-return]


def write(tmp_path: Path, content: object, name: str = "flow.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return path


def lint(tmp_path: Path, content: object, name: str = "flow.json") -> list[Finding]:
    return lint_flow(load_flow(write(tmp_path, content, name)), CATALOG)


def the(findings: list[Finding], rule: str) -> Finding:
    """The one finding for `rule`; fails listing everything when there are none or several."""
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, [str(f) for f in findings]
    return matching[0]


# --- a valid flow and the shapes it can come in --------------------------------------------------


def test_a_valid_flow_has_no_findings(tmp_path: Path) -> None:
    # Given a flow that follows every rule / When linted / Then nothing is reported
    assert lint(tmp_path, valid_flow()) == []


@pytest.mark.parametrize(
    ("wrap", "origin"),
    [
        (
            lambda text: {"ContactFlow": {"Name": "Main", "Type": "CONTACT_FLOW", "Content": text}},
            DESCRIBE_WRAPPER,
        ),
        (lambda text: {"Name": "Main", "Type": "CONTACT_FLOW", "Content": text}, CONTENT_WRAPPER),
    ],
    ids=["describe-contact-flow", "content-wrapper"],
)
def test_a_wrapper_whose_content_is_a_json_string_is_unwrapped(
    tmp_path: Path, wrap: Callable[[str], object], origin: str
) -> None:
    # Given the valid flow as a JSON string inside a wrapper
    path = write(tmp_path, wrap(json.dumps(valid_flow())), "main_flow.json")

    # When loaded and linted
    loaded = load_flow(path)

    # Then the document inside is what gets linted, and the wrapper is remembered
    assert loaded.origin == origin
    assert loaded.document == valid_flow()
    assert (loaded.name, loaded.source) == ("main_flow", str(path))
    assert loaded.wrapper["Name"] == "Main"
    assert lint_flow(loaded, CATALOG) == []


def test_a_raw_document_loads_as_is(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, valid_flow()))
    assert (loaded.origin, loaded.ok, loaded.require()) == (RAW, True, loaded)


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    # Given a file that breaks on line 3
    text = '{\n  "Version": "2019-10-30",\n  "Actions": [}\n'

    # When linted
    finding = the(lint(tmp_path, text, "broken.json"), "json-invalid")

    # Then one error names the file, the line and the column
    assert (finding.file, finding.action, finding.severity) == (str(tmp_path / "broken.json"), "", "error")
    assert "line 3 column 15" in finding.message


def test_invalid_json_inside_content_reports_line_and_column_of_the_content(tmp_path: Path) -> None:
    wrapper = {"ContactFlow": {"Content": '{"Version": "2019-10-30",\n"Actions": [,]}'}}
    finding = the(lint(tmp_path, wrapper), "json-invalid")
    assert "ContactFlow.Content" in finding.message
    assert "line 2 column 13" in finding.message


def test_an_unusable_flow_refuses_to_load_for_the_simulator(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, "{", "cut.json"))
    assert not loaded.ok
    assert loaded.document == {}
    with pytest.raises(FlowLoadError, match=r"cut\.json.*line 1 column 2"):
        loaded.require()


def test_a_legacy_modules_export_gets_one_not_flow_language_finding() -> None:
    # Given an old-style export ({"modules": [...]}) / When linted
    findings = lint_flow(load_flow(BROKEN / "legacy_modules.json"), CATALOG)

    # Then exactly one clear error says what it is, rather than a crash or a cascade
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.rule, finding.severity, finding.action) == ("not-flow-language", "error", "")
    assert "legacy 'modules' export" in finding.message


def test_a_json_file_that_is_no_flow_at_all_is_not_flow_language(tmp_path: Path) -> None:
    finding = the(lint(tmp_path, {"kind": "rules", "rules": []}), "not-flow-language")
    assert "no Version, StartAction or Actions" in finding.message
    assert the(lint(tmp_path, [1, 2]), "not-flow-language").severity == "error"


# --- one crafted broken flow per rule ------------------------------------------------------------


def _set(identifier: str, *keys: str, value: Any) -> Callable[[Document], None]:
    """A mutation setting action[identifier][keys...] = value (deleting it when value is ...)."""

    def mutate(document: Document) -> None:
        node = action(document, identifier)
        for key in keys[:-1]:
            node = node[key]
        if value is ...:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value

    return mutate


def _top(key: str, value: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        if value is ...:
            del document[key]
        else:
            document[key] = value

    return mutate


def _append(extra: Document) -> Callable[[Document], None]:
    return lambda document: document["Actions"].append(copy.deepcopy(extra))


def _rename(old: str, new: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        text = json.dumps(document).replace(f'"{old}"', f'"{new}"')
        document.clear()
        document.update(json.loads(text))

    return mutate


def _errors(identifier: str, keep: Callable[[str], bool]) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        transitions = action(document, identifier)["Transitions"]
        transitions["Errors"] = [e for e in transitions["Errors"] if keep(e["ErrorType"])]

    return mutate


ORPHAN = {"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
DUPLICATE = {"Identifier": "hang-up", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:111122223333:function:crm-lookup"

# (case id, mutation of the valid flow, expected rule, severity, action id)
CASES: list[tuple[str, Callable[[Document], None], str, str, str]] = [
    ("version-wrong", _top("Version", "2020-01-01"), "version", "error", ""),
    ("version-missing", _top("Version", ...), "version", "error", ""),
    ("start-missing", _top("StartAction", ...), "start-action", "error", ""),
    ("start-unknown", _top("StartAction", "nope"), "start-action", "error", ""),
    ("actions-missing", _top("Actions", ...), "structure", "error", ""),
    ("action-not-object", lambda d: d["Actions"].append("hang-up"), "structure", "error", "Actions[10]"),
    ("type-missing", _set("goodbye", "Type", value=...), "structure", "error", "goodbye"),
    ("identifier-duplicate", _append(DUPLICATE), "identifier-duplicate", "error", "hang-up"),
    ("identifier-long", _rename("goodbye", "g" * 51), "identifier-invalid", "error", "g" * 51),
    ("identifier-forbidden", _rename("goodbye", "good:bye"), "identifier-invalid", "error", "good:bye"),
    ("identifier-reserved", _rename("goodbye", "constructor"), "identifier-invalid", "error", "constructor"),
    (
        "identifier-missing",
        _set("goodbye", "Identifier", value=...),
        "identifier-invalid",
        "error",
        "Actions[8]",
    ),
    (
        "next-unknown",
        _set("transfer", "Transitions", "NextAction", value="nowhere"),
        "unknown-target",
        "error",
        "transfer",
    ),
    (
        "condition-unknown",
        _set(
            "route",
            "Transitions",
            "Conditions",
            value=[{"NextAction": "nowhere", "Condition": {"Operator": "Equals", "Operands": ["OK"]}}],
        ),
        "unknown-target",
        "error",
        "route",
    ),
    (
        "error-unknown",
        _set(
            "lookup",
            "Transitions",
            "Errors",
            value=[{"NextAction": "nowhere", "ErrorType": "NoMatchingError"}],
        ),
        "unknown-target",
        "error",
        "lookup",
    ),
    ("unreachable", _append(ORPHAN), "unreachable", "warning", "orphan"),
    ("dead-end", _set("goodbye", "Transitions", value={}), "dead-end", "error", "goodbye"),
    (
        "lambda-no-errors",
        _set("lookup", "Transitions", "Errors", value=[]),
        "lambda-error-branch",
        "error",
        "lookup",
    ),
    (
        "lambda-timeout-missing",
        _set("lookup", "Parameters", "InvocationTimeLimitSeconds", value=...),
        "lambda-timeout",
        "error",
        "lookup",
    ),
    (
        "lambda-timeout-text",
        _set("lookup", "Parameters", "InvocationTimeLimitSeconds", value="soon"),
        "lambda-timeout",
        "error",
        "lookup",
    ),
    (
        "lambda-timeout-9",
        _set("lookup", "Parameters", "InvocationTimeLimitSeconds", value="9"),
        "lambda-timeout",
        "error",
        "lookup",
    ),
    (
        "lambda-timeout-0",
        _set("lookup", "Parameters", "InvocationTimeLimitSeconds", value="0"),
        "lambda-timeout",
        "error",
        "lookup",
    ),
    (
        "compare-no-match",
        _set("route", "Transitions", "Errors", value=[]),
        "compare-no-match",
        "error",
        "route",
    ),
    (
        "input-no-match",
        _errors("menu", lambda t: t != "NoMatchingCondition"),
        "input-no-match",
        "error",
        "menu",
    ),
    (
        "queue-at-capacity",
        _errors("transfer", lambda t: t != "QueueAtCapacity"),
        "queue-at-capacity",
        "warning",
        "transfer",
    ),
    (
        "literal-arn-account",
        _set("lookup", "Parameters", "LambdaFunctionARN", value=ACCOUNT_ARN),
        "literal-arn",
        "error",
        "lookup",
    ),
    (
        "placeholder-malformed",
        _set("lookup", "Parameters", "LambdaFunctionARN", value="{{lambda crm_lookup}}"),
        "placeholder-malformed",
        "error",
        "lookup",
    ),
    (
        "placeholder-stray",
        _set("set-queue", "Parameters", "QueueId", value="{{queue:general"),
        "placeholder-malformed",
        "error",
        "set-queue",
    ),
    (
        "placeholder-type",
        _set("lookup", "Parameters", "LambdaFunctionARN", value="{{function:crm_lookup}}"),
        "placeholder-type",
        "error",
        "lookup",
    ),
    (
        "placeholder-lambda",
        _set("lookup", "Parameters", "LambdaFunctionARN", value="{{lambda:nope}}"),
        "placeholder-name",
        "error",
        "lookup",
    ),
    (
        "placeholder-queue",
        _set("set-queue", "Parameters", "QueueId", value="{{queue:nope}}"),
        "placeholder-name",
        "error",
        "set-queue",
    ),
    (
        "placeholder-hours",
        _set("check-hours", "Parameters", "HoursOfOperationId", value="{{hours:nope}}"),
        "placeholder-name",
        "error",
        "check-hours",
    ),
    (
        "placeholder-flow",
        _set("other-flow", "Parameters", "ContactFlowId", value="{{flow:nope}}"),
        "placeholder-name",
        "error",
        "other-flow",
    ),
    (
        "foreign-percent",
        _set("set-queue", "Parameters", "QueueId", value="%QueueArn%"),
        "foreign-placeholders",
        "warning",
        "",
    ),
    (
        "foreign-sub",
        _set("goodbye", "Parameters", "Text", value="Call ${SupportNumber}."),
        "foreign-placeholders",
        "warning",
        "",
    ),
    (
        "unknown-type",
        _set("start", "Type", value="UpdateSomethingNew"),
        "unknown-action-type",
        "info",
        "start",
    ),
    (
        "non-string",
        _set("lookup", "Parameters", "InvocationTimeLimitSeconds", value=4),
        "non-string-value",
        "warning",
        "lookup",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "severity", "action_id"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_reports_file_action_rule_and_severity(
    tmp_path: Path, mutate: Callable[[Document], None], rule: str, severity: str, action_id: str
) -> None:
    # Given the valid flow broken in one way
    document = valid_flow()
    mutate(document)

    # When linted
    finding = the(lint(tmp_path, document, "broken_flow.json"), rule)

    # Then the one finding for that rule names the file, the action and the severity
    assert finding.file == str(tmp_path / "broken_flow.json")
    assert (finding.action, finding.rule, finding.severity) == (action_id, rule, severity)
    assert finding.message and "\n" not in finding.message


def test_more_than_250_actions_is_an_error(tmp_path: Path) -> None:
    # Given a chain of 250 prompts and a disconnect: valid in every other way
    prompts = [
        {
            "Identifier": f"say-{i}",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "."},
            "Transitions": {
                "NextAction": f"say-{i + 1}" if i < 249 else "end",
                "Errors": [{"NextAction": "end", "ErrorType": "NoMatchingError"}],
            },
        }
        for i in range(250)
    ]
    end = {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
    document = {"Version": "2019-10-30", "StartAction": "say-0", "Actions": [*prompts, end]}

    # When linted / Then that is the only finding
    findings = lint(tmp_path, document)
    assert [(f.rule, f.severity, f.action) for f in findings] == [("too-many-actions", "error", "")]
    assert "251 actions" in findings[0].message


def test_an_account_arn_suggests_the_placeholder_for_its_kind(tmp_path: Path) -> None:
    document = valid_flow()
    action(document, "lookup")["Parameters"]["LambdaFunctionARN"] = ACCOUNT_ARN
    queue_arn = "arn:aws:connect:us-east-1:111122223333:instance/abc/queue/def"
    action(document, "set-queue")["Parameters"]["QueueId"] = queue_arn
    messages = {f.action: f.message for f in lint(tmp_path, document) if f.rule == "literal-arn"}
    assert "111122223333" in messages["lookup"]
    assert "{{lambda:name}}" in messages["lookup"]
    assert "{{queue:name}}" in messages["set-queue"]


def test_an_arn_whose_account_is_another_tools_placeholder_is_left_to_the_placeholder_rules(
    tmp_path: Path,
) -> None:
    # Given an ARN whose account is another pipeline's placeholder
    document = valid_flow()
    action(document, "lookup")["Parameters"]["LambdaFunctionARN"] = (
        "arn:aws:lambda:us-east-1:${ACCT_ID}:function:x"
    )
    # When linted as someone else's flow / Then one warning names the system, no literal-arn
    assert [(f.rule, f.severity) for f in lint(tmp_path, document)] == [("foreign-placeholders", "warning")]
    # And when linted strictly (a flow Tandem deploys), the value is an error naming the text
    strict = lint_flow(load_flow(tmp_path / "flow.json"), CATALOG, strict_placeholders=True)
    assert [(f.rule, f.severity, f.action) for f in strict] == [("foreign-placeholder", "error", "lookup")]
    assert "${ACCT_ID}" in strict[0].message


def test_an_aws_managed_view_arn_is_not_a_literal_arn(tmp_path: Path) -> None:
    document = valid_flow()
    action(document, "goodbye")["Parameters"]["Text"] = "arn:aws:connect:us-west-2:aws:view/form:1"
    assert not [f for f in lint(tmp_path, document) if f.rule == "literal-arn"]


@pytest.mark.parametrize(
    ("invocation", "limit", "expected"),
    [
        ("SYNCHRONOUS", "8", []),
        ("SYNCHRONOUS", "8.5", ["lambda-timeout"]),
        ("ASYNCHRONOUS", "60", []),
        ("ASYNCHRONOUS", "61", ["lambda-timeout"]),
    ],
)
def test_the_lambda_time_limit_depends_on_the_invocation_type(
    tmp_path: Path, invocation: str, limit: str, expected: list[str]
) -> None:
    document = valid_flow()
    action(document, "lookup")["Parameters"] |= {
        "InvocationType": invocation,
        "InvocationTimeLimitSeconds": limit,
    }
    assert [f.rule for f in lint(tmp_path, document)] == expected


def test_stored_input_needs_no_no_matching_condition_branch(tmp_path: Path) -> None:
    document = valid_flow()
    _errors("menu", lambda t: t != "NoMatchingCondition")(document)
    action(document, "menu")["Parameters"] |= {
        "StoreInput": "True",
        "InputValidation": {"CustomValidation": {"MaximumLength": "6"}},
    }
    assert lint(tmp_path, document) == []


def test_loop_prompts_may_end_a_hold_flow(tmp_path: Path) -> None:
    document = {
        "Version": "2019-10-30",
        "StartAction": "loop",
        "Actions": [
            {
                "Identifier": "loop",
                "Type": "MessageParticipantIteratively",
                "Parameters": {"Messages": [{"Text": "Please hold."}]},
                "Transitions": {},
            }
        ],
    }
    assert lint(tmp_path, document) == []


def test_placeholders_in_designer_metadata_are_checked_and_named_by_action(tmp_path: Path) -> None:
    document = valid_flow()
    document["Metadata"]["ActionMetadata"]["set-queue"] = {"queue": {"id": "{{queue:nope}}", "text": "Nope"}}
    finding = the(lint(tmp_path, document), "placeholder-name")
    assert finding.action == "set-queue"
    assert "at Metadata.ActionMetadata.set-queue.queue.id" in finding.message
    assert "'nope'" in finding.message


def test_findings_come_in_document_order(tmp_path: Path) -> None:
    document = valid_flow()
    _set("transfer", "Transitions", "NextAction", value="nowhere")(document)
    _set("lookup", "Transitions", "Errors", value=[])(document)
    document["Version"] = "1"
    assert [(f.action, f.rule) for f in lint(tmp_path, document)] == [
        ("", "version"),
        ("lookup", "lambda-error-branch"),
        ("transfer", "unknown-target"),
    ]


def test_a_finding_serialises_to_the_five_documented_keys(tmp_path: Path) -> None:
    finding = the(lint(tmp_path, {**valid_flow(), "Version": "1"}), "version")
    assert set(finding.to_dict()) == {"file", "action", "rule", "severity", "message"}
    assert str(finding).startswith(f"{tmp_path / 'flow.json'}: error version:")


# --- the catalog comes from the repo and from infra at run time ----------------------------------


def test_the_repo_catalog_reads_names_from_the_repo() -> None:
    from infra import constants

    catalog = repo_catalog()
    assert {"lambda", "queue", "flow", "hours"} <= set(catalog.types)
    assert {"crm_lookup", "ivr_decision", "escalation"} <= catalog.names["lambda"]
    assert catalog.names["queue"] == frozenset(constants.QUEUE_NAMES)
    assert catalog.names["hours"] == frozenset(constants.HOURS_NAMES)
    assert "inbound_main" in catalog.names["flow"]


def test_placeholder_types_are_read_from_the_grammar_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the grammar synth uses learns a new type with no name list in infra.constants
    from flowdoc import placeholders

    monkeypatch.setattr(placeholders, "PLACEHOLDER_TYPES", (*placeholders.PLACEHOLDER_TYPES, "novel"))
    catalog = repo_catalog()
    document = valid_flow()
    action(document, "goodbye")["Parameters"]["Text"] = "{{novel:anything}}"

    # When linted with the repo's catalog / Then the type is known and its names are not guessed at
    assert "novel" in catalog.types
    assert "novel" not in catalog.names
    assert not [
        f
        for f in lint_flow(load_flow(write(tmp_path, document)), catalog)
        if f.rule.startswith("placeholder")
    ]


def test_an_unknown_action_type_is_never_an_error(tmp_path: Path) -> None:
    # Given an action type the linter does not know, with no transitions (it may be terminal)
    document = valid_flow()
    action(document, "hang-up")["Type"] = "EndSomethingNew"

    # When linted / Then it is reported as info, and its missing transitions only as a warning
    findings = lint(tmp_path, document)
    assert {(f.rule, f.severity, f.action) for f in findings} == {
        ("unknown-action-type", "info", "hang-up"),
        ("dead-end", "warning", "hang-up"),
    }


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_actions = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "Identifier": st.sampled_from(["a", "b", "c:d", ""]) | _json_values,
            "Type": st.sampled_from(["InvokeLambdaFunction", "Compare", "TransferContactToQueue", "X"]),
            "Parameters": _json_values,
            "Transitions": st.fixed_dictionaries(
                {},
                optional={
                    "NextAction": st.sampled_from(["a", "b", "zz"]) | _json_values,
                    "Errors": st.lists(
                        _json_values
                        | st.fixed_dictionaries({"NextAction": st.just("a"), "ErrorType": _json_values})
                    ),
                    "Conditions": _json_values,
                },
            )
            | _json_values,
        },
    )
    | _json_values,
    max_size=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=st.fixed_dictionaries(
        {"Actions": _actions},
        optional={
            "Version": _json_values,
            "StartAction": st.sampled_from(["a", "b"]) | _json_values,
            "Metadata": _json_values,
        },
    )
)
def test_any_json_shaped_like_a_flow_lints_without_crashing(tmp_path: Path, document: Document) -> None:
    for finding in lint(tmp_path, document):
        assert finding.severity in {"error", "warning", "info"}
        assert isinstance(finding.action, str)


def test_absurdly_deep_json_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    nested = {"Version": "2019-10-30", "Actions": json.loads("[" * 100 + "]" * 100)}
    assert the(lint(tmp_path, deep), "json-invalid").severity == "error"
    assert "nested" in the(lint(tmp_path, nested), "json-invalid").message
