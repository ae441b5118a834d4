"""The flow simulator on crafted flows: JSONPath, conditions, fake Lex, guards, Lambda, transfers, hooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowdoc.jsonpath import is_reference, resolve
from lambdas.escalation.queue_metrics import QueueSnapshot, estimate_wait_seconds
from tandem.cli import main
from tandem.flows import fake_lex
from tandem.flows.simulator import (
    OUTCOMES,
    FlowNotFound,
    FlowRefused,
    SimulationConfig,
    lambda_event,
    matches,
    merge_coverage,
    queue_values,
    simulate,
)
from tandem.local import Sandbox
from tandem.local.sandbox import handler_module
from tests.conftest import REPO

# --- crafting flows ---------------------------------------------------------------------------


def action(
    identifier: str, type_: str, parameters: dict[str, Any] | None = None, **transitions: Any
) -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": type_,
        "Parameters": parameters or {},
        "Transitions": transitions,
    }


def when(operand: str, target: str, operator: str = "Equals") -> dict[str, Any]:
    return {"NextAction": target, "Condition": {"Operator": operator, "Operands": [operand]}}


def error(kind: str, target: str) -> dict[str, str]:
    return {"NextAction": target, "ErrorType": kind}


def say(identifier: str, text: str, then: str) -> dict[str, Any]:
    return action(identifier, "MessageParticipant", {"Text": text}, NextAction=then)


END = action("end", "DisconnectParticipant")


def write_flow(folder: Path, name: str, *actions: dict[str, Any], start: str | None = None) -> Path:
    path = folder / f"{name}.json"
    document = {
        "Version": "2019-10-30",
        "StartAction": start or actions[0]["Identifier"],
        "Actions": list(actions),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def lambda_block(
    identifier: str, function: str, then: str, on_error: str, **parameters: str
) -> dict[str, Any]:
    return action(
        identifier,
        "InvokeLambdaFunction",
        {
            "LambdaFunctionARN": f"{{{{lambda:{function}}}}}",
            "InvocationTimeLimitSeconds": "8",
            "LambdaInvocationAttributes": parameters,
            "ResponseValidation": {"ResponseType": "STRING_MAP"},
        },
        NextAction=then,
        Errors=[error("NoMatchingError", on_error)],
    )


# --- JSONPath ---------------------------------------------------------------------------------

NAMESPACE: dict[str, Any] = {
    "Attributes": {"firstName": "Ana", "my attr": "spaced"},
    "External": {"route": "AGENT", "status": "OK"},
    "FlowAttributes": {"acme-fn": "arn:x"},
    "Lex": {
        "IntentName": "Returns",
        "IntentConfidence": {"Score": "0.90"},
        "SentimentResponse": {"Label": "NEUTRAL"},
    },
    "Metrics": {"Queue": {"Size": "9"}, "Agents": {"Available": {"Count": "0"}}},
    "StoredCustomerInput": "12345",
    "CustomerEndpoint": {"Address": "+12025550101"},
    "Queue": {"Name": "general"},
    "Channel": "VOICE",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.External.route", "AGENT"),
        ("$.Attributes.['my attr']", "spaced"),
        ("$.Attributes['my attr']", "spaced"),
        ("$.FlowAttributes.acme-fn", "arn:x"),
        ("$.Lex.IntentConfidence.Score", "0.90"),
        ("$.Lex.SentimentResponse.Label", "NEUTRAL"),
        ("$.Metrics.Agents.Available.Count", "0"),
        ("$.StoredCustomerInput", "12345"),
        ("$.CustomerEndpoint.Address", "+12025550101"),
        ("$.Queue.Name", "general"),
        ("$.Channel", "VOICE"),
        ("$.External.missing", ""),
        ("$.Nothing.at.all", ""),
        ("Hello $.Attributes.firstName, thanks for calling.", "Hello Ana, thanks for calling."),
        ("$.Attributes.firstName.", "Ana."),
        ("Route $.External.route for $.Attributes.['my attr']", "Route AGENT for spaced"),
        ("It costs $5 today", "It costs $5 today"),
        ("no references", "no references"),
    ],
)
def test_jsonpath_resolves_whole_and_embedded_references(text: str, expected: str) -> None:
    assert resolve(NAMESPACE, text) == expected


def test_a_whole_reference_is_told_apart_from_text() -> None:
    assert is_reference("$.External.route")
    assert is_reference("$.Attributes.['my attr']")
    assert not is_reference("Hello $.Attributes.firstName")
    assert not is_reference("static")


# --- conditions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("Equals", "OK", "OK", True),
        ("Equals", "OK", "ok", False),
        ("Equals", "1", "1.0", False),  # strings, not numbers
        ("TextStartsWith", "SELF", "SELF_SERVICE", True),
        ("TextEndsWith", "SERVICE", "SELF_SERVICE", True),
        ("TextContains", "_SERV", "SELF_SERVICE", True),
        ("TextContains", "AGENT", "SELF_SERVICE", False),
        ("NumberGreaterThan", "600", "601", True),
        ("NumberGreaterThan", "600", "600", False),
        ("NumberGreaterOrEqualTo", "600", "600", True),
        ("NumberLessThan", "0.6", "0.31", True),
        ("NumberLessOrEqualTo", "5", "5.0", True),
        ("NumberGreaterThan", "0", "", False),  # missing is not a number
        ("NumberGreaterThan", "0", "many", False),
    ],
)
def test_compare_operators(operator: str, operand: str, value: str, expected: bool) -> None:
    assert matches(operator, [operand], value) is expected


def test_an_unknown_operator_is_reported_as_unknown() -> None:
    assert matches("NumberEquals", ["1"], "1") is None


def test_compare_takes_the_first_match_else_no_matching_condition(box: Sandbox, tmp_path: Path) -> None:
    # Given a Compare on a contact attribute, with a NoMatchingCondition branch
    flow = write_flow(
        tmp_path,
        "compare",
        action(
            "set",
            "UpdateContactAttributes",
            {"Attributes": {"wait": "$.StoredCustomerInput"}},
            NextAction="in",
        ),
        action(
            "in",
            "GetParticipantInput",
            {
                "Text": "Enter a number",
                "StoreInput": "True",
                "InputValidation": {"CustomValidation": {"MaximumLength": "4"}},
            },
            NextAction="cmp",
            Errors=[error("InputTimeLimitExceeded", "end")],
        ),
        action(
            "cmp",
            "Compare",
            {"ComparisonValue": "$.StoredCustomerInput"},
            NextAction="end",
            Conditions=[when("600", "long", "NumberGreaterThan"), when("0", "zero")],
            Errors=[error("NoMatchingCondition", "none")],
        ),
        say("long", "long", "end"),
        say("zero", "zero", "end"),
        say("none", "none", "end"),
        END,
    )
    # When / Then
    assert simulate(flow, box=box, config=SimulationConfig(inputs=["900"])).heard == [
        "Enter a number",
        "long",
    ]
    assert simulate(flow, box=box, config=SimulationConfig(inputs=["0"])).heard == ["Enter a number", "zero"]
    result = simulate(flow, box=box, config=SimulationConfig(inputs=["42"]))
    assert result.heard == ["Enter a number", "none"]
    assert ("cmp", "NoMatchingCondition") in [(s.action, s.branch) for s in result.steps]


# --- fake Lex ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utterance", "intent", "sentiment"),
    [
        ("where is my order", "CheckOrderStatus", "NEUTRAL"),
        ("I want to return these shoes", "Returns", "NEUTRAL"),
        ("what are your opening hours", "StoreHours", "NEUTRAL"),
        ("when do you open", "StoreHours", "NEUTRAL"),
        ("I want to complain", "Complaint", "NEUTRAL"),
        ("this is the third time I call, it is ridiculous", "FallbackIntent", "NEGATIVE"),
        ("this is the third time I complain about my order", "Complaint", "NEGATIVE"),
        ("please cancel my order", "CancelOrder", "NEUTRAL"),
        ("you charged me twice on my bill", "BillingDispute", "NEUTRAL"),
        ("can I talk to someone about my order", "SpeakToAgent", "NEUTRAL"),
        ("agent", "SpeakToAgent", "NEUTRAL"),
        ("I am so angry, get me a representative", "SpeakToAgent", "NEGATIVE"),
        ("mumble", "FallbackIntent", "NEUTRAL"),
        ("1", "CheckOrderStatus", "NEUTRAL"),
        ("0", "SpeakToAgent", "NEUTRAL"),
    ],
)
def test_fake_lex_classifies_with_its_keyword_table(utterance: str, intent: str, sentiment: str) -> None:
    turn = fake_lex.classify(utterance)
    assert (turn.intent, turn.sentiment) == (intent, sentiment)
    assert turn.confidence == (0.3 if intent == "FallbackIntent" else 0.9)


def test_fake_lex_intents_are_ones_the_ivr_rules_know() -> None:
    rules = json.loads((REPO / "lambdas/documents/defaults/rules.json").read_text(encoding="utf-8"))
    known = set(rules["intents"]) | set(rules["intentAliases"])
    for intent, _ in fake_lex.INTENT_KEYWORDS:
        snake = "".join(f"_{c}" if c.isupper() else c for c in intent).lstrip("_").upper()
        assert snake in known, intent


def lex_flow(tmp_path: Path) -> Path:
    return write_flow(
        tmp_path,
        "lex",
        action(
            "ask",
            "ConnectParticipantWithLexBot",
            {"Text": "How can I help?", "LexV2Bot": {"AliasArn": "{{setting:lexBotAliasArn}}"}},
            NextAction="other",
            Conditions=[when("Returns", "returns"), when("SpeakToAgent", "agent")],
            Errors=[error("NoMatchingError", "dtmf"), error("InputTimeLimitExceeded", "silence")],
        ),
        action(
            "returns",
            "UpdateContactAttributes",
            {
                "Attributes": {
                    "intent": "$.Lex.IntentName",
                    "score": "$.Lex.IntentConfidence.Score",
                    "mood": "$.Lex.SentimentResponse.Label",
                }
            },
            NextAction="end",
        ),
        say("agent", "agent", "end"),
        say("other", "other", "end"),
        say("dtmf", "menu", "end"),
        say("silence", "silence", "end"),
        END,
    )


def test_the_lex_block_uses_the_fake_bot_when_a_bot_alias_is_set(box: Sandbox, tmp_path: Path) -> None:
    flow = lex_flow(tmp_path)
    settings = {"lexBotAliasArn": "arn:aws:lex:us-east-1:123456789012:bot-alias/B/A"}

    result = simulate(
        flow,
        box=box,
        config=SimulationConfig(inputs=["I want to return this, it is terrible"], settings=settings),
    )
    assert result.attributes == {"intent": "Returns", "score": "0.90", "mood": "NEGATIVE"}

    assert (
        simulate(flow, box=box, config=SimulationConfig(inputs=["agent please"], settings=settings)).heard[-1]
        == "agent"
    )
    assert (
        simulate(
            flow, box=box, config=SimulationConfig(inputs=["where is my order"], settings=settings)
        ).heard[-1]
        == "other"
    )
    assert (
        simulate(flow, box=box, config=SimulationConfig(inputs=[], settings=settings)).heard[-1] == "silence"
    )


def test_without_a_bot_alias_the_lex_block_takes_its_error_branch(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(lex_flow(tmp_path), box=box, config=SimulationConfig(inputs=["returns"]))
    assert result.heard == ["How can I help?", "menu"]
    assert result.inputs_left == ["returns"]


# --- DTMF, loops, hours ------------------------------------------------------------------------


def menu_flow(tmp_path: Path) -> Path:
    return write_flow(
        tmp_path,
        "menu",
        action(
            "menu",
            "GetParticipantInput",
            {"Text": "Press 1 or 2", "StoreInput": "False", "InputTimeLimitSeconds": "5"},
            NextAction="end",
            Conditions=[when("1", "one"), when("2", "two")],
            Errors=[error("InputTimeLimitExceeded", "timeout"), error("NoMatchingCondition", "invalid")],
        ),
        say("one", "one", "end"),
        say("two", "two", "end"),
        say("timeout", "timeout", "end"),
        say("invalid", "invalid", "end"),
        END,
    )


@pytest.mark.parametrize(
    ("inputs", "heard"),
    [(["1"], "one"), (["2"], "two"), (["9"], "invalid"), ([], "timeout"), ([""], "timeout")],
)
def test_dtmf_input_takes_the_matching_branch(
    box: Sandbox, tmp_path: Path, inputs: list[str], heard: str
) -> None:
    assert simulate(menu_flow(tmp_path), box=box, config=SimulationConfig(inputs=inputs)).heard == [
        "Press 1 or 2",
        heard,
    ]


def test_a_loop_block_counts_per_action(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "loop",
        action(
            "loop",
            "Loop",
            {"LoopCount": "2"},
            Conditions=[when("ContinueLooping", "again"), when("DoneLooping", "done")],
        ),
        say("again", "again", "loop"),
        say("done", "done", "end"),
        END,
    )
    assert simulate(flow, box=box).heard == ["again", "again", "done"]


@pytest.mark.parametrize(("hours", "heard"), [("open", "open"), ("closed", "closed")])
def test_hours_of_operation_follow_the_requested_hours(
    box: Sandbox, tmp_path: Path, hours: str, heard: str
) -> None:
    flow = write_flow(
        tmp_path,
        "hours",
        action(
            "hours",
            "CheckHoursOfOperation",
            {"HoursOfOperationId": "{{hours:main}}"},
            Conditions=[when("True", "open"), when("False", "closed")],
            Errors=[error("NoMatchingError", "end")],
        ),
        say("open", "open", "end"),
        say("closed", "closed", "end"),
        END,
    )
    assert simulate(flow, box=box, config=SimulationConfig(hours=hours)).heard == [heard]  # type: ignore[arg-type]


# --- guards and unknown types ------------------------------------------------------------------


def test_a_two_action_loop_is_stopped_by_the_loop_guard(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "spin", say("ping", "ping", "pong"), say("pong", "pong", "ping"))
    result = simulate(flow, box=box)
    assert result.outcome == "error"
    assert not result.completed
    assert "loop guard" in result.stopped and "'ping'" in result.stopped and "spin" in result.stopped


def test_the_step_guard_names_the_action_it_stopped_at(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "spin", say("ping", "ping", "pong"), say("pong", "pong", "ping"))
    result = simulate(flow, box=box, config=SimulationConfig(max_steps=7))
    assert len(result.steps) == 7
    assert result.stopped.startswith("step guard") and "'pong'" in result.stopped


def test_a_transition_to_nowhere_stops_with_a_clear_message(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(write_flow(tmp_path, "dangling", say("hi", "hi", "gone")), box=box)
    assert "'gone'" in result.stopped and "not an action" in result.stopped


def test_an_unknown_action_type_takes_next_action_with_a_warning(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "novel",
        action(
            "new", "SomeBrandNewBlock", {"X": "1"}, NextAction="bye", Errors=[error("NoMatchingError", "end")]
        ),
        say("bye", "bye", "end"),
        END,
    )
    result = simulate(flow, box=box)
    assert result.heard == ["bye"]
    assert result.outcome == "disconnected" and result.completed
    assert any("SomeBrandNewBlock" in w and "not modelled" in w for w in result.warnings)


def test_an_unknown_flow_is_a_one_line_error(box: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(FlowNotFound, match="no_such_flow") as raised:
        simulate("no_such_flow", box=box, config=SimulationConfig(flows_dir=tmp_path))
    assert "\n" not in str(raised.value)


# --- Lambda blocks -----------------------------------------------------------------------------


def lookup_flow(tmp_path: Path, function: str = "crm_lookup") -> Path:
    return write_flow(
        tmp_path,
        "lookup",
        action(
            "pre", "UpdateContactAttributes", {"Attributes": {"channelSeen": "$.Channel"}}, NextAction="call"
        ),
        lambda_block(
            "call", function, "ok", "failed", step="lookup-caller", callerNumber="$.CustomerEndpoint.Address"
        ),
        say("ok", "Hello $.External.firstName", "end"),
        say("failed", "Sorry", "end"),
        END,
    )


def test_a_lambda_block_sends_connects_event_and_reads_the_response(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(lookup_flow(tmp_path), box=box, config=SimulationConfig(caller="+12025550101"))

    assert result.heard == ["Hello Ana"]
    [call] = result.lambda_calls
    assert call.function == "crm_lookup" and not call.error
    assert call.parameters == {"step": "lookup-caller", "callerNumber": "+12025550101"}
    event = box.last.event
    contact = event["Details"]["ContactData"]
    assert event["Name"] == "ContactFlowEvent"
    assert contact["Attributes"] == {"channelSeen": "VOICE"}
    assert contact["ContactId"] == contact["InitialContactId"] == result.contact_id
    assert contact["CustomerEndpoint"] == {"Address": "+12025550101", "Type": "TELEPHONE_NUMBER"}
    assert contact["InstanceARN"].startswith("arn:aws:connect:us-east-1:123456789012:instance/")
    assert contact["LanguageCode"] == "en-US" and contact["Channel"] == "VOICE"
    assert event["Details"]["Parameters"] == call.parameters


def test_a_handler_that_raises_takes_the_error_branch(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(event: Any, context: Any) -> dict[str, str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(handler_module("crm_lookup"), "lambda_handler", boom)
    result = simulate(lookup_flow(tmp_path), box=box)
    assert result.heard == ["Sorry"]
    assert "RuntimeError" in result.lambda_calls[0].error
    assert ("call", "NoMatchingError") in result.coverage["lookup"].taken


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ({"nested": {"a": "b"}}, "flat string map"),
        ({"count": 3}, "flat string map"),
        ({"big": "x" * 33000}, "32 KB"),
    ],
)
def test_a_response_connect_would_not_understand_takes_the_error_branch(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, response: dict[str, Any], reason: str
) -> None:
    monkeypatch.setattr(handler_module("crm_lookup"), "lambda_handler", lambda event, context: response)
    result = simulate(lookup_flow(tmp_path), box=box)
    assert result.heard == ["Sorry"]
    assert reason in result.lambda_calls[0].error


def test_a_function_the_sandbox_does_not_have_takes_the_error_branch(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(lookup_flow(tmp_path, "not_a_function"), box=box)
    assert result.heard == ["Sorry"]
    assert "no such function" in result.lambda_calls[0].error


def test_the_real_handlers_chain_through_a_dtmf_menu(box: Sandbox, tmp_path: Path) -> None:
    # Given a flow that looks the caller up, asks for a menu key and asks ivr_decision
    flow = write_flow(
        tmp_path,
        "chain",
        lambda_block("lookup", "crm_lookup", "save", "end", step="lookup-caller"),
        action(
            "save",
            "UpdateContactAttributes",
            {"Attributes": {"customerId": "$.External.customerId", "tier": "$.External.tier"}},
            NextAction="menu",
        ),
        action(
            "menu",
            "GetParticipantInput",
            {"Text": "Press 1 for orders", "StoreInput": "False"},
            NextAction="end",
            Conditions=[when("1", "decide")],
            Errors=[error("InputTimeLimitExceeded", "end"), error("NoMatchingCondition", "end")],
        ),
        lambda_block("decide", "ivr_decision", "answer", "end", menuChoice="1", transcript=""),
        say("answer", "$.External.answer", "end"),
        END,
    )
    # When a known caller presses 1
    result = simulate(flow, box=box, config=SimulationConfig(caller="+12025550105", inputs=["1"]))
    # Then both handlers ran and the decision's answer was spoken
    assert [c.function for c in result.lambda_calls] == ["crm_lookup", "ivr_decision"]
    assert result.lambda_calls[1].response["route"] in {"SELF_SERVICE", "AGENT", "CALLBACK", "CLOSED"}
    assert result.lambda_calls[1].response["intent"] == "ORDER_STATUS"
    assert (
        box.last.event["Details"]["ContactData"]["Attributes"]["customerId"]
        == result.attributes["customerId"]
    )


# --- transfers, queues, hooks, outcome -----------------------------------------------------------


def test_transfer_to_flow_keeps_contact_attributes_and_resets_flow_attributes(
    box: Sandbox, tmp_path: Path
) -> None:
    write_flow(
        tmp_path,
        "second",
        say("there", "Hi $.Attributes.who, flow said '$.FlowAttributes.local'", "mark"),
        action("mark", "UpdateContactAttributes", {"Attributes": {"where": "second"}}, NextAction="end"),
        END,
    )
    first = write_flow(
        tmp_path,
        "first",
        action("who", "UpdateContactAttributes", {"Attributes": {"who": "Ana"}}, NextAction="local"),
        action(
            "local", "UpdateFlowAttributes", {"FlowAttributes": {"local": {"Value": "x"}}}, NextAction="go"
        ),
        action(
            "go",
            "TransferToFlow",
            {"ContactFlowId": "{{flow:second}}"},
            NextAction="oops",
            Errors=[error("NoMatchingError", "oops")],
        ),
        say("oops", "transfer failed", "end"),
        END,
    )
    result = simulate(first, box=box, config=SimulationConfig(flows_dir=tmp_path))
    assert result.heard == ["Hi Ana, flow said ''"]
    assert result.attributes == {"who": "Ana", "where": "second"}
    assert [s.flow for s in result.steps] == ["first"] * 3 + ["second"] * 3
    assert set(result.coverage) == {"first", "second"}


def test_transfer_to_an_unknown_flow_takes_the_error_branch(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "first",
        action(
            "go",
            "TransferToFlow",
            {"ContactFlowId": "{{flow:missing}}"},
            Errors=[error("NoMatchingError", "oops")],
        ),
        say("oops", "transfer failed", "end"),
        END,
    )
    assert simulate(flow, box=box, config=SimulationConfig(flows_dir=tmp_path)).heard == ["transfer failed"]


def queue_flows(tmp_path: Path, *, survey: bool = True) -> Path:
    write_flow(
        tmp_path,
        "wait",
        action("metrics", "GetMetricData", {}, NextAction="long", Errors=[error("NoMatchingError", "music")]),
        action(
            "long",
            "Compare",
            {"ComparisonValue": "$.Metrics.Queue.OldestContactAge"},
            NextAction="music",
            Conditions=[when("600", "offer", "NumberGreaterOrEqualTo")],
            Errors=[error("NoMatchingCondition", "music")],
        ),
        action(
            "offer",
            "GetParticipantInput",
            {"Text": "Press 1 for a callback", "StoreInput": "False"},
            NextAction="music",
            Conditions=[when("1", "number")],
            Errors=[error("InputTimeLimitExceeded", "music"), error("NoMatchingCondition", "music")],
        ),
        action(
            "number",
            "UpdateContactCallbackNumber",
            {"CallbackNumber": "$.CustomerEndpoint.Address"},
            NextAction="callback",
            Errors=[error("InvalidCallbackNumber", "music")],
        ),
        action(
            "callback",
            "CreateCallbackContact",
            {"QueueId": "{{queue:callback}}", "InitialCallDelaySeconds": "5"},
            NextAction="bye",
            Errors=[error("NoMatchingError", "music")],
        ),
        say("bye", "We will call you back", "hangup"),
        action("hangup", "DisconnectParticipant"),
        say("music", "Please hold", "metrics"),
    )
    write_flow(
        tmp_path, "whisper", say("w", "Customer $.Attributes.who", "done"), action("done", "EndFlowExecution")
    )
    write_flow(
        tmp_path,
        "survey",
        action(
            "rate",
            "GetParticipantInput",
            {
                "Text": "Rate us 1 to 5",
                "StoreInput": "True",
                "InputValidation": {"CustomValidation": {"MaximumLength": "1"}},
            },
            NextAction="save",
            Errors=[error("InputTimeLimitExceeded", "end")],
        ),
        action(
            "save",
            "UpdateContactAttributes",
            {"Attributes": {"csat": "$.StoredCustomerInput"}},
            NextAction="end",
        ),
        END,
    )
    hooks = [
        action(
            "h1",
            "UpdateContactEventHooks",
            {"EventHooks": {"CustomerQueue": "{{flow:wait}}"}},
            NextAction="h2",
        ),
        action(
            "h2",
            "UpdateContactEventHooks",
            {"EventHooks": {"AgentWhisper": "{{flow:whisper}}"}},
            NextAction="h3",
        ),
    ]
    if survey:
        hooks.append(
            action(
                "h3",
                "UpdateContactEventHooks",
                {"EventHooks": {"CustomerRemaining": "{{flow:survey}}"}},
                NextAction="who",
            )
        )
    else:
        hooks[-1]["Transitions"]["NextAction"] = "who"
    return write_flow(
        tmp_path,
        "main",
        *hooks,
        action(
            "who",
            "UpdateContactAttributes",
            {"Attributes": {"who": "Ana", "tandemOutcome": "QUEUED"}},
            NextAction="queue",
        ),
        action("queue", "UpdateContactTargetQueue", {"QueueId": "{{queue:priority}}"}, NextAction="prio"),
        action("prio", "UpdateContactRoutingBehavior", {"QueuePriority": "2"}, NextAction="xfer"),
        action(
            "xfer",
            "TransferContactToQueue",
            Errors=[error("QueueAtCapacity", "end"), error("NoMatchingError", "end")],
        ),
        END,
    )


def test_a_long_queue_runs_the_customer_queue_flow_into_a_callback(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(
        queue_flows(tmp_path),
        box=box,
        config=SimulationConfig(flows_dir=tmp_path, queue_wait_seconds=900, inputs=["1"]),
    )
    assert result.outcome == "callback"
    assert result.queue == "callback"
    assert result.callback_number == "+12025550101"
    assert result.heard == ["Press 1 for a callback", "We will call you back"]
    assert result.whispered == []  # no agent: the caller hung up for a callback
    assert "survey" not in result.coverage


def test_a_caller_who_waits_reaches_an_agent_then_the_survey(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(
        queue_flows(tmp_path),
        box=box,
        config=SimulationConfig(flows_dir=tmp_path, queue_wait_seconds=900, inputs=["", "4"]),
    )
    assert result.outcome == "queued"
    assert (result.queue, result.priority) == ("priority", 2)
    assert result.whispered == ["Customer Ana"]
    assert result.attributes["csat"] == "4"
    assert any(s.type == "(agent)" and "asks the caller again" in s.note for s in result.steps)
    assert result.completed


def test_a_quiet_queue_goes_straight_to_an_agent(box: Sandbox, tmp_path: Path) -> None:
    result = simulate(
        queue_flows(tmp_path, survey=False),
        box=box,
        config=SimulationConfig(flows_dir=tmp_path, inputs=["1"]),
    )
    assert result.outcome == "queued"
    assert "wait" not in result.coverage  # the customer-queue flow runs only with a queue wait
    assert result.inputs_left == ["1"]


def test_the_flows_own_disconnect_runs_no_customer_remaining_flow(box: Sandbox, tmp_path: Path) -> None:
    """Given a disconnect flow and a flow that hangs up, Then no one is left to hear it: it does not run."""
    write_flow(
        tmp_path,
        "survey",
        action("rate", "GetParticipantInput", {"Text": "Rate us", "StoreInput": "True"}, NextAction="save"),
        action(
            "save",
            "UpdateContactAttributes",
            {"Attributes": {"csat": "$.StoredCustomerInput"}},
            NextAction="end",
        ),
        END,
    )
    flow = write_flow(
        tmp_path,
        "selfserve",
        action(
            "hook",
            "UpdateContactEventHooks",
            {"EventHooks": {"CustomerRemaining": "{{flow:survey}}"}},
            NextAction="done",
        ),
        action(
            "done",
            "UpdateContactAttributes",
            {"Attributes": {"tandemOutcome": "SELF_SERVED"}},
            NextAction="bye",
        ),
        say("bye", "Goodbye", "end"),
        END,
    )
    result = simulate(flow, box=box, config=SimulationConfig(flows_dir=tmp_path, inputs=["5"]))
    assert result.outcome == "self-served"
    assert result.heard == ["Goodbye"]
    assert "csat" not in result.attributes
    assert result.inputs_left == ["5"]


def test_queue_load_agrees_with_escalations_estimate(box: Sandbox, tmp_path: Path) -> None:
    for wait in (30, 45, 600, 1260):
        values = queue_values(wait)
        snapshot = QueueSnapshot(
            values.agents_available,
            values.agents_staffed,
            values.contacts_in_queue,
            values.oldest_contact_age_seconds,
            "flow",
        )
        assert estimate_wait_seconds(snapshot, 300) == pytest.approx(wait)

    flow = write_flow(
        tmp_path,
        "metrics",
        action("q", "UpdateContactTargetQueue", {"QueueId": "{{queue:general}}"}, NextAction="m"),
        action("m", "GetMetricData", {}, NextAction="end", Errors=[error("NoMatchingError", "end")]),
        END,
    )
    simulate(flow, box=box, config=SimulationConfig(queue_wait_seconds=600))
    queue_id = box.queue_arns["general"].rsplit("/", 1)[1]
    assert box.connect_metrics.values(queue_id).oldest_contact_age_seconds == 600
    note = next(
        s.note
        for s in simulate(flow, box=box, config=SimulationConfig(queue_wait_seconds=600)).steps
        if s.action == "m"
    )
    assert note == "queue general: 9 waiting, oldest 600 s, 0 agents available"


def test_outcome_prefers_the_flows_tandem_outcome(box: Sandbox, tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "closed",
        action(
            "mark", "UpdateContactAttributes", {"Attributes": {"tandemOutcome": "CLOSED"}}, NextAction="bye"
        ),
        say("bye", "We are closed", "end"),
        END,
    )
    result = simulate(flow, box=box, config=SimulationConfig(hours="closed"))
    assert result.outcome == "closed"
    assert result.outcome in OUTCOMES


def test_coverage_counts_transitions_and_merges_across_runs(box: Sandbox, tmp_path: Path) -> None:
    flow = menu_flow(tmp_path)
    one = simulate(flow, box=box, config=SimulationConfig(inputs=["1"]))
    two = simulate(flow, box=box, config=SimulationConfig(inputs=["2"]))
    # menu: NextAction, 2 conditions, 2 errors; each say: NextAction  → 9 transitions
    assert len(one.coverage["menu"].transitions) == 9
    assert one.coverage["menu"].taken == {("menu", "Equals 1"), ("one", "NextAction")}
    merged = merge_coverage(one, two)
    assert len(merged["menu"].taken) == 4
    assert str(merged["menu"]) == "4/9 (44%)"
    assert ("timeout", "NextAction") in merged["menu"].missed


def test_lambda_event_has_no_queue_until_one_is_set() -> None:
    namespace = {
        "Attributes": {"a": "1"},
        "Channel": "VOICE",
        "ContactId": "c",
        "InitialContactId": "c",
        "PreviousContactId": "c",
        "InitiationMethod": "INBOUND",
        "InstanceARN": "arn",
        "LanguageCode": "en-US",
        "CustomerEndpoint": {},
        "SystemEndpoint": {},
        "Queue": {},
    }
    contact = lambda_event(namespace, {"p": "v"})["Details"]["ContactData"]
    assert contact["Queue"] is None and contact["CustomerEndpoint"] is None
    assert contact["Attributes"] == {"a": "1"} and contact["Attributes"] is not namespace["Attributes"]


# --- the command -------------------------------------------------------------------------------


def test_cli_unknown_flow_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "no_such_flow_anywhere"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_flow_anywhere" in err


def test_cli_bad_caller_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "inbound_main", "--caller", "12"]) == 2
    assert "--caller" in capsys.readouterr().err


def test_cli_prints_path_calls_outcome_and_masks_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = lookup_flow(tmp_path)
    assert main(["simulate", str(flow), "--caller", "+12025550101"]) == 0
    out = capsys.readouterr().out
    assert "crm_lookup" in out and "Hello Ana" in out and "Outcome: disconnected" in out
    assert "+12025550101" not in out and "+12•••••01" in out
    assert "Coverage" in out


def test_cli_json_and_guard_stop_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = write_flow(tmp_path, "spin", say("ping", "ping", "pong"), say("pong", "pong", "ping"))
    assert main(["simulate", str(flow), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["outcome"] == "error" and "loop guard" in document["stopped"]


def test_cli_refuses_a_flow_with_duplicate_identifiers_as_lint_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], box: Sandbox
) -> None:
    # Given a flow where two actions share the Identifier "hello": which one "hello" means is a guess
    flow = write_flow(tmp_path, "twice", say("hello", "first", "end"), say("hello", "second", "end"), END)

    # When simulated / Then refused in one line naming the file and the identifier, exit 1
    assert main(["simulate", str(flow)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(flow) in err and "'hello'" in err and "unique" in err

    # And lint reports the same problem with the same words, also failing with exit 1
    assert main(["flows", "lint", str(flow), "--format", "json"]) == 1
    (finding,) = [
        f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule"] == "identifier-duplicate"
    ]
    assert finding["message"] in err

    # And the library refuses it too, with the subclass of FlowNotFound the command maps to exit 1
    with pytest.raises(FlowRefused, match="'hello'"):
        simulate(flow, box=box)
