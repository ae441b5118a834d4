"""The repository's four flows as flow-language documents: what each block does and passes.

Pure JSON checks (no synth): the flow set the stack deploys is exactly these files with the types
in infra.constants.FLOW_TYPES, every action is one the flow simulator models and the flow type
allows, every failure path reaches a person or a spoken message, and each Lambda block passes
what its function reads. The deployed (resolved) versions are checked in test_infra_template.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_support import REPO_ROOT

from infra import constants
from lambdas.policy.facts import HOURS

FLOWS_DIR = REPO_ROOT / "flows"
FLOW_FILES = sorted(FLOWS_DIR.glob("*.json"))
RULES = json.loads((REPO_ROOT / "lambdas" / "documents" / "defaults" / "rules.json").read_text())

# The action types the flow simulator (tandem simulate) implements; the flows use nothing else.
SIMULATED_TYPES = {
    "UpdateFlowLoggingBehavior", "UpdateContactTextToSpeechVoice", "InvokeLambdaFunction",
    "UpdateContactAttributes", "UpdateFlowAttributes", "Compare", "MessageParticipant",
    "GetParticipantInput", "ConnectParticipantWithLexBot", "Loop", "CheckHoursOfOperation",
    "GetMetricData", "UpdateContactTargetQueue", "UpdateContactRoutingBehavior",
    "UpdateContactEventHooks", "UpdateContactCallbackNumber", "CreateCallbackContact",
    "TransferContactToQueue", "TransferToFlow", "DisconnectParticipant", "EndFlowExecution",
}  # fmt: skip
# Actions a flow type does not support (docs/connect-facts.md §2.3): queue targeting,
# routing, hooks and flow transfers are inbound/transfer only; whispers cannot take input or
# end the call; EndFlowExecution is for whisper and queue flows, not inbound ones.
NOT_ALLOWED = {
    "CONTACT_FLOW": {"EndFlowExecution"},
    "CUSTOMER_QUEUE": {
        "UpdateContactTargetQueue", "TransferContactToQueue", "UpdateContactRoutingBehavior",
        "UpdateContactEventHooks", "TransferToFlow",
    },
    "AGENT_WHISPER": SIMULATED_TYPES
    - {"UpdateFlowLoggingBehavior", "MessageParticipant", "EndFlowExecution"},
}  # fmt: skip
# Actions after which the caller has heard something or reached a person.
SPOKEN = {
    "MessageParticipant",
    "GetParticipantInput",
    "ConnectParticipantWithLexBot",
    "TransferContactToQueue",
}


def load(stem: str) -> dict[str, Any]:
    return json.loads((FLOWS_DIR / f"{stem}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def actions(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["Identifier"]: a for a in flow["Actions"]}


def targets(action: dict[str, Any]) -> list[str]:
    transitions = action.get("Transitions", {})
    found = [transitions["NextAction"]] if "NextAction" in transitions else []
    found += [c["NextAction"] for c in transitions.get("Conditions", [])]
    found += [e["NextAction"] for e in transitions.get("Errors", [])]
    return found


def errors(action: dict[str, Any]) -> dict[str, str]:
    return {e["ErrorType"]: e["NextAction"] for e in action["Transitions"].get("Errors", [])}


def conditions(action: dict[str, Any]) -> dict[str, str]:
    """Operand → target, for single-operand conditions."""
    return {
        c["Condition"]["Operands"][0]: c["NextAction"] for c in action["Transitions"].get("Conditions", [])
    }


def leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, f"{path}[{index}]")
    else:
        yield path, node


def of_type(flow: dict[str, Any], action_type: str) -> list[dict[str, Any]]:
    return [a for a in flow["Actions"] if a["Type"] == action_type]


# --- the set ----------------------------------------------------------------------------------


def test_the_flow_set_and_its_types() -> None:
    # Given flows/ / Then it holds exactly the four flows, each with its deploy type
    assert [p.stem for p in FLOW_FILES] == sorted(constants.FLOW_TYPES)
    assert constants.FLOW_TYPES == {
        "inbound_main": "CONTACT_FLOW",
        "customer_queue": "CUSTOMER_QUEUE",
        "agent_whisper": "AGENT_WHISPER",
        "post_call_survey": "CONTACT_FLOW",  # run as the disconnect flow, an inbound-type flow
    }


@pytest.mark.parametrize("path", FLOW_FILES, ids=[p.stem for p in FLOW_FILES])
def test_each_flow_uses_only_simulated_actions_its_type_allows(path: Path) -> None:
    # Given a flow and its deploy type
    flow = json.loads(path.read_text())
    used = {a["Type"] for a in flow["Actions"]}
    # Then every action is one the simulator models and the flow type supports
    assert used <= SIMULATED_TYPES
    assert not used & NOT_ALLOWED[constants.FLOW_TYPES[path.stem]]
    # And logging is switched on first
    assert actions(flow)[flow["StartAction"]]["Type"] == "UpdateFlowLoggingBehavior"


@pytest.mark.parametrize("path", FLOW_FILES, ids=[p.stem for p in FLOW_FILES])
def test_every_parameter_value_is_a_string(path: Path) -> None:
    flow = json.loads(path.read_text())
    for action in flow["Actions"]:
        for where, value in leaves(action["Parameters"], action["Identifier"]):
            assert isinstance(value, str), f"{where} is {value!r}"


@pytest.mark.parametrize("path", FLOW_FILES, ids=[p.stem for p in FLOW_FILES])
def test_every_branching_block_has_a_no_match_branch(path: Path) -> None:
    # Given Compare and digit menus / Then a value nothing matches still goes somewhere
    flow = json.loads(path.read_text())
    for action in flow["Actions"]:
        if action["Type"] == "Compare" or (
            action["Type"] == "GetParticipantInput" and action["Parameters"]["StoreInput"] == "False"
        ):
            assert "NoMatchingCondition" in errors(action), action["Identifier"]
        if action["Type"] == "GetParticipantInput":
            assert {"InputTimeLimitExceeded", "NoMatchingError"} <= set(errors(action)), action["Identifier"]
        if action["Type"] == "Compare":
            assert json.dumps(action["Parameters"]["ComparisonValue"]).startswith('"$.')


@pytest.mark.parametrize("path", FLOW_FILES, ids=[p.stem for p in FLOW_FILES])
def test_lambda_blocks_fit_the_function_timeout_and_fail_to_a_person_or_a_message(path: Path) -> None:
    flow = json.loads(path.read_text())
    by_id = actions(flow)
    for action in of_type(flow, "InvokeLambdaFunction"):
        params = action["Parameters"]
        # The block waits longer than the function may run (3 s), and at most Connect's 8 s
        assert constants.FUNCTION_TIMEOUT_SECONDS + 1 <= int(params["InvocationTimeLimitSeconds"]) <= 8
        assert params["ResponseValidation"] == {"ResponseType": "STRING_MAP"}
        assert all(isinstance(v, str) for v in params["LambdaInvocationAttributes"].values())
        assert params["LambdaInvocationAttributes"]["step"] == action["Identifier"]  # the retry key
        # And its Error branch never hangs up on the caller in silence
        assert_no_silent_disconnect(by_id, errors(action)["NoMatchingError"], action["Identifier"])


def assert_no_silent_disconnect(by_id: dict[str, dict[str, Any]], start: str, source: str) -> None:
    """Every path from `start` says something (or queues the caller) before any DisconnectParticipant."""
    todo, seen = [(start, False)], set()
    while todo:
        current, spoke = todo.pop()
        if (current, spoke) in seen:
            continue
        seen.add((current, spoke))
        action = by_id[current]
        assert not (action["Type"] == "DisconnectParticipant" and not spoke), (
            f"{source}'s error branch can reach {current} without a word"
        )
        spoke = spoke or action["Type"] in SPOKEN
        todo += [(target, spoke) for target in targets(action)]


@pytest.mark.parametrize("path", FLOW_FILES, ids=[p.stem for p in FLOW_FILES])
def test_every_disconnect_is_announced(path: Path) -> None:
    # Given every DisconnectParticipant / Then each block leading to it is a message, or an
    # attribute update that a message leads to (the outcome is recorded, then the goodbye)
    flow = json.loads(path.read_text())
    by_id = actions(flow)
    into: dict[str, list[str]] = {}
    for identifier, action in by_id.items():
        for target in targets(action):
            into.setdefault(target, []).append(identifier)
    for disconnect in of_type(flow, "DisconnectParticipant"):
        for before in into[disconnect["Identifier"]]:
            kind = by_id[before]["Type"]
            assert kind == "MessageParticipant" or all(
                by_id[p]["Type"] == "MessageParticipant" for p in into[before]
            ), f"{before} → {disconnect['Identifier']}"


# --- inbound_main -----------------------------------------------------------------------------


def test_inbound_sets_the_queue_survey_and_whisper_flows_one_hook_per_block() -> None:
    flow = load("inbound_main")
    hooks = [a["Parameters"]["EventHooks"] for a in of_type(flow, "UpdateContactEventHooks")]
    assert all(len(hook) == 1 for hook in hooks)
    assert {k: v for hook in hooks for k, v in hook.items()} == {
        "CustomerQueue": "{{flow:customer_queue}}",
        "CustomerRemaining": "{{flow:post_call_survey}}",
        "AgentWhisper": "{{flow:agent_whisper}}",
    }


def test_inbound_looks_the_caller_up_and_keeps_the_answer_as_attributes() -> None:
    by_id = actions(load("inbound_main"))
    lookup = by_id["lookup-caller"]
    assert lookup["Parameters"]["LambdaFunctionARN"] == "{{lambda:crm_lookup}}"
    assert lookup["Parameters"]["LambdaInvocationAttributes"] == {
        "step": "lookup-caller",
        "callerNumber": "$.CustomerEndpoint.Address",
    }
    # A failed lookup continues as an unknown caller
    assert errors(lookup)["NoMatchingError"] == "greet-generic"
    saved = by_id["save-customer"]["Parameters"]["Attributes"]
    assert saved.pop("crmStatus") == "$.External.status"
    assert saved == {
        name: f"$.External.{name}"
        for name in (
            "customerFound", "customerId", "firstName", "tier", "language", "latestOrderId",
            "latestOrderStatus", "latestOrderEta", "openComplaints", "recentContacts72h", "callerType",
        )
    }  # fmt: skip
    assert conditions(by_id["check-customer-found"]) == {"true": "greet-by-name"}


def test_inbound_keeps_the_general_queues_metrics() -> None:
    by_id = actions(load("inbound_main"))
    assert by_id["read-queue-metrics"]["Parameters"] == {
        "QueueId": "{{queue:general}}",
        "QueueChannel": "Voice",
    }
    metrics = {
        **by_id["save-queue-metrics"]["Parameters"]["Attributes"],
        **by_id["save-agent-metrics"]["Parameters"]["Attributes"],
    }
    assert metrics == {
        "agentsAvailable": "$.Metrics.Agents.Available.Count",
        "agentsStaffed": "$.Metrics.Agents.Staffed.Count",
        "contactsInQueue": "$.Metrics.Queue.Size",
        "oldestContactAgeSeconds": "$.Metrics.Queue.OldestContactAge",
    }


def test_inbound_uses_speech_only_when_a_lex_bot_is_configured() -> None:
    by_id = actions(load("inbound_main"))
    assert by_id["set-lex-setting"]["Parameters"] == {
        "FlowAttributes": {"lexBot": {"Value": "{{setting:lexBotAliasArn}}"}}
    }
    check = by_id["check-speech-input"]
    assert check["Parameters"]["ComparisonValue"] == "$.FlowAttributes.lexBot"
    assert check["Transitions"]["Conditions"] == [
        {"NextAction": "ask-by-speech", "Condition": {"Operator": "TextStartsWith", "Operands": ["arn:"]}}
    ]
    assert check["Transitions"]["NextAction"] == errors(check)["NoMatchingCondition"] == "ask-menu"
    speech = by_id["ask-by-speech"]
    assert speech["Parameters"]["LexV2Bot"] == {"AliasArn": "$.FlowAttributes.lexBot"}
    # A bot that fails falls back to the keypad; anything it hears goes to the decision
    assert errors(speech)["NoMatchingError"] == "ask-menu"
    assert (
        speech["Transitions"]["NextAction"] == errors(speech)["NoMatchingCondition"] == "decide-from-speech"
    )


def test_the_menu_offers_exactly_the_rules_menu_and_sets_menu_choice() -> None:
    by_id = actions(load("inbound_main"))
    for ask in ("ask-menu", "ask-menu-again"):
        assert by_id[ask]["Parameters"]["StoreInput"] == "False"
        assert conditions(by_id[ask]) == {key: f"menu-{key}" for key in RULES["menu"]}
    for key in RULES["menu"]:
        assert by_id[f"menu-{key}"]["Parameters"] == {"FlowAttributes": {"menuChoice": {"Value": key}}}
        assert by_id[f"menu-{key}"]["Transitions"]["NextAction"] == "decide-from-menu"


def test_each_decision_block_passes_its_input_attempts_and_metrics() -> None:
    by_id = actions(load("inbound_main"))
    common = {
        "failedAttempts": "$.Attributes.failedAttempts",
        "agentsAvailable": "$.Attributes.agentsAvailable",
        "contactsInQueue": "$.Attributes.contactsInQueue",
        "oldestContactAgeSeconds": "$.Attributes.oldestContactAgeSeconds",
    }
    expected = {
        "decide-from-speech": {
            "intent": "$.Lex.IntentName",
            "intentConfidence": "$.Lex.IntentConfidence.Score",
            "sentiment": "$.Lex.SentimentResponse.Label",
        },
        "decide-from-menu": {"menuChoice": "$.FlowAttributes.menuChoice"},
        "decide-without-input": {},
    }
    for block, inputs in expected.items():
        params = by_id[block]["Parameters"]
        assert params["LambdaFunctionARN"] == "{{lambda:ivr_decision}}"
        assert params["LambdaInvocationAttributes"] == {"step": block, **inputs, **common}
        # A failed decision still reaches a person, on the general queue
        assert errors(by_id[block])["NoMatchingError"] == "fallback-to-person"
    assert by_id["fallback-to-person"]["Transitions"]["NextAction"] == "set-queue-general"
    assert by_id["set-queue-general"]["Parameters"] == {"QueueId": "{{queue:general}}"}


def test_the_decision_is_kept_and_routes_the_call() -> None:
    by_id = actions(load("inbound_main"))
    saved = by_id["save-decision"]["Parameters"]["Attributes"]
    assert saved == {
        name: f"$.External.{name}"
        for name in (
            "route", "ruleId", "variant", "experimentId", "reasons", "queue", "priorityChange",
            "asksForAgent", "failedAttempts", "hours", "answer", "attemptsIfUnresolved",
        )
    }  # fmt: skip
    route = by_id["route-on-decision"]
    assert route["Parameters"]["ComparisonValue"] == "$.External.route"
    assert conditions(route) == {
        "SELF_SERVICE": "speak-answer",
        "CLOSED": "speak-closed",
        "AGENT": "save-intent",
        "CALLBACK": "save-intent",
    }
    # An unknown route is a person too
    assert route["Transitions"]["NextAction"] == errors(route)["NoMatchingCondition"] == "save-intent"
    assert by_id["save-intent"]["Transitions"]["NextAction"] == "say-connecting"


def test_intent_and_sentiment_are_kept_only_once_the_call_leaves_the_self_service_loop() -> None:
    # ivr_decision falls back to contact attributes for `intent`: kept while the caller may still
    # press a key for another try, the old intent would pass for the new turn's Lex intent.
    flow = load("inbound_main")
    by_id = actions(flow)
    kept = {"intent": "$.External.intent", "sentiment": "$.External.sentiment"}
    keeping = {
        a["Identifier"]
        for a in of_type(flow, "UpdateContactAttributes")
        if "intent" in a["Parameters"]["Attributes"]
    }
    assert keeping == {"save-intent", "mark-self-served", "mark-closed"}
    for block in keeping:
        assert kept.items() <= by_id[block]["Parameters"]["Attributes"].items()
    # And no block on the way back to the input keeps it
    assert by_id["count-failed-attempt"]["Transitions"]["NextAction"] == "check-speech-input"
    assert "intent" not in by_id["count-failed-attempt"]["Parameters"]["Attributes"]


def test_self_service_confirms_counts_a_failed_attempt_or_hands_over() -> None:
    by_id = actions(load("inbound_main"))
    assert by_id["speak-answer"]["Parameters"] == {"Text": "$.External.answer"}
    ask = by_id["ask-if-resolved"]
    assert conditions(ask) == {
        "1": "mark-self-served",
        "2": "count-failed-attempt",
        "0": "mark-asked-for-person",
    }
    assert set(errors(ask).values()) == {"mark-unconfirmed"}  # timeout: a person
    assert by_id["mark-self-served"]["Parameters"]["Attributes"]["tandemOutcome"] == "SELF_SERVED"
    count = by_id["count-failed-attempt"]
    assert count["Parameters"]["Attributes"] == {"failedAttempts": "$.Attributes.attemptsIfUnresolved"}
    assert count["Transitions"]["NextAction"] == "check-speech-input"  # asks again
    for block in ("mark-asked-for-person", "mark-unconfirmed"):
        assert by_id[block]["Parameters"]["Attributes"]["route"] == "AGENT"
        assert by_id[block]["Transitions"]["NextAction"] == "save-intent"
    assert by_id["mark-closed"]["Parameters"]["Attributes"]["tandemOutcome"] == "CLOSED"
    # A self-served caller rates the call in it: the flow's own hang-up would leave no one to ask
    assert by_id["thank-self-served"]["Transitions"]["NextAction"] == "survey-self-served"
    survey = by_id["survey-self-served"]
    assert survey["Type"] == "TransferToFlow"
    assert survey["Parameters"] == {"ContactFlowId": "{{flow:post_call_survey}}"}
    assert errors(survey)["NoMatchingError"] == "goodbye-self-served"


def test_escalation_gets_everything_it_reads() -> None:
    by_id = actions(load("inbound_main"))
    escalate = by_id["escalate"]
    params = escalate["Parameters"]["LambdaInvocationAttributes"]
    assert escalate["Parameters"]["LambdaFunctionARN"] == "{{lambda:escalation}}"
    # What lambdas/escalation/context.py reads, from the attributes the flow keeps (lastCsat and
    # estimatedWaitSeconds are optional and the flow has neither)
    read = {
        "route", "reasons", "queue", "priorityChange", "intent", "sentiment", "asksForAgent",
        "failedAttempts", "customerFound", "customerId", "firstName", "tier", "recentContacts72h",
        "openComplaints", "latestOrderId", "latestOrderStatus", "callerType", "agentsAvailable",
        "agentsStaffed", "contactsInQueue", "oldestContactAgeSeconds",
    }  # fmt: skip
    assert params == {"step": "escalate", **{name: f"$.Attributes.{name}" for name in read}}
    # A failed escalation still queues the caller on the general queue
    assert errors(escalate)["NoMatchingError"] == "set-queue-general"
    assert by_id["save-handoff"]["Parameters"]["Attributes"] == {
        name: f"$.External.{name}"
        for name in ("whisper", "queue", "queueArn", "priority", "offerCallback", "callbackQueueArn")
    }


def test_callbacks_and_queueing_after_escalation() -> None:
    by_id = actions(load("inbound_main"))
    assert conditions(by_id["check-callback-offer"]) == {"true": "check-hours-for-offer"}
    assert errors(by_id["check-callback-offer"]) == {"NoMatchingCondition": "check-open-for-hold"}
    closed = set(HOURS) - {"OPEN"}  # every hours value ivr_decision answers when people are away
    # Open: a callback or the hold. Closed: a callback for when we open, or a polite goodbye, never a queue
    for block, when_closed, otherwise in (
        ("check-hours-for-offer", "offer-callback-closed", "offer-callback"),
        ("check-open-for-hold", "closed-no-callback", "set-target-queue"),
    ):
        assert by_id[block]["Parameters"] == {"ComparisonValue": "$.Attributes.hours"}
        assert conditions(by_id[block]) == dict.fromkeys(closed, when_closed)
        assert errors(by_id[block]) == {"NoMatchingCondition": otherwise}  # unknown hours: a person
    assert conditions(by_id["offer-callback"]) == {"1": "claim-callback", "2": "set-target-queue"}
    assert conditions(by_id["offer-callback-closed"]) == {"1": "claim-callback"}
    # Taking the callback claims the number first: one callback per number per window
    claim = by_id["claim-callback"]
    assert claim["Parameters"]["LambdaFunctionARN"] == "{{lambda:escalation}}"
    assert claim["Parameters"]["LambdaInvocationAttributes"] == {
        "step": "claim-callback",
        "operation": "claimCallback",
    }
    assert errors(claim)["NoMatchingError"] == "set-callback-number"  # a failed claim keeps the promise
    assert conditions(by_id["check-callback-pending"]) == {"true": "callback-already-booked"}
    assert errors(by_id["check-callback-pending"]) == {"NoMatchingCondition": "set-callback-number"}
    assert by_id["mark-callback-booked"]["Parameters"]["Attributes"] == {"tandemOutcome": "CALLBACK"}
    assert set(errors(by_id["offer-callback-closed"]).values()) == {"closed-no-callback"}
    assert by_id["closed-no-callback"]["Transitions"]["NextAction"] == "mark-closed"
    assert by_id["callback-unavailable"]["Transitions"]["NextAction"] == "check-open-for-hold"
    assert by_id["set-callback-number"]["Parameters"] == {"CallbackNumber": "$.CustomerEndpoint.Address"}
    assert by_id["create-callback"]["Parameters"]["QueueId"] == "$.Attributes.callbackQueueArn"
    assert by_id["full-create-callback"]["Parameters"]["QueueId"] == "{{queue:callback}}"
    assert by_id["mark-callback"]["Parameters"]["Attributes"] == {"tandemOutcome": "CALLBACK"}
    assert by_id["set-target-queue"]["Parameters"] == {"QueueId": "$.Attributes.queueArn"}
    # QueuePriority is static: one block per Connect priority escalation may choose, 5 = default
    priority = by_id["check-priority"]
    assert priority["Parameters"]["ComparisonValue"] == "$.Attributes.priority"
    assert conditions(priority) == {p: f"set-priority-{p}" for p in "12346789"}
    for p in "12346789":
        assert by_id[f"set-priority-{p}"]["Parameters"] == {"QueuePriority": p}
        assert by_id[f"set-priority-{p}"]["Transitions"] == {"NextAction": "mark-queued"}
    assert priority["Transitions"]["NextAction"] == "mark-queued"
    assert by_id["mark-queued"]["Parameters"]["Attributes"] == {"tandemOutcome": "QUEUED"}
    assert by_id["mark-queued"]["Transitions"]["NextAction"] == "transfer-to-queue"
    transfer = errors(by_id["transfer-to-queue"])
    assert transfer == {"QueueAtCapacity": "check-callback-possible", "NoMatchingError": "mark-not-connected"}


# --- the other flows --------------------------------------------------------------------------


def test_customer_queue_loops_and_offers_one_callback_after_ten_minutes() -> None:
    by_id = actions(load("customer_queue"))
    loop = by_id["hold-loop"]
    assert loop["Parameters"] == {"LoopCount": "10"}
    assert conditions(loop) == {"ContinueLooping": "hold-message", "DoneLooping": "still-in-line"}
    assert by_id["read-queue-metrics"]["Parameters"] == {"QueueChannel": "Voice"}  # the current queue
    wait = by_id["check-oldest-wait"]
    assert wait["Parameters"]["ComparisonValue"] == "$.Metrics.Queue.OldestContactAge"
    assert wait["Transitions"]["Conditions"] == [
        {
            "NextAction": "check-already-offered",
            "Condition": {"Operator": "NumberGreaterThan", "Operands": ["600"]},  # seconds
        }
    ]
    assert conditions(by_id["offer-callback"]) == {"1": "claim-callback"}
    # The same claim as inbound_main's: one callback per number per window, a failed claim goes ahead
    claim = by_id["claim-callback"]
    assert claim["Parameters"]["LambdaInvocationAttributes"]["operation"] == "claimCallback"
    assert errors(claim)["NoMatchingError"] == "set-callback-number"
    assert conditions(by_id["check-callback-pending"]) == {"true": "callback-already-booked"}
    assert by_id["mark-callback-booked"]["Parameters"]["Attributes"] == {"tandemOutcome": "CALLBACK"}
    assert by_id["create-callback"]["Parameters"]["QueueId"] == "{{queue:callback}}"
    assert by_id["mark-callback"]["Parameters"]["Attributes"] == {"tandemOutcome": "CALLBACK"}
    assert by_id["callback-confirmed"]["Transitions"]["NextAction"] == "disconnect"
    assert by_id["end-queue-flow"]["Type"] == "EndFlowExecution"


def test_agent_whisper_speaks_the_whisper_then_ends() -> None:
    flow = load("agent_whisper")
    assert [a["Type"] for a in flow["Actions"]] == [
        "UpdateFlowLoggingBehavior",
        "MessageParticipant",
        "EndFlowExecution",
    ]
    assert actions(flow)["speak-whisper"]["Parameters"] == {"Text": "$.Attributes.whisper"}


def test_post_call_survey_asks_twice_at_most_and_records_the_rating() -> None:
    by_id = actions(load("post_call_survey"))
    ratings = {r: f"rated-{r}" for r in "12345"}
    assert conditions(by_id["ask-rating"]) == conditions(by_id["ask-rating-again"]) == ratings
    assert set(errors(by_id["ask-rating"]).values()) == {"ask-rating-again"}
    assert set(errors(by_id["ask-rating-again"]).values()) == {"thank-you"}
    for r in "12345":
        assert by_id[f"rated-{r}"]["Parameters"] == {"FlowAttributes": {"csat": {"Value": r}}}
        assert by_id[f"rated-{r}"]["Transitions"]["NextAction"] == "keep-rating"
    # The rating becomes a contact attribute, so the contact record (and the KPIs) carry it even
    # when the survey function cannot store it
    assert by_id["keep-rating"]["Parameters"]["Attributes"] == {"csat": "$.FlowAttributes.csat"}
    assert by_id["keep-rating"]["Transitions"]["NextAction"] == "record-rating"
    record = by_id["record-rating"]["Parameters"]
    assert record["LambdaFunctionARN"] == "{{lambda:survey}}"
    assert record["LambdaInvocationAttributes"] == {
        "step": "record-rating",
        "csat": "$.FlowAttributes.csat",
        "route": "$.Attributes.route",
        "queue": "$.Attributes.queue",
        "intent": "$.Attributes.intent",
    }
    assert by_id["record-rating"]["Transitions"] == {
        "NextAction": "thank-you",
        "Errors": [{"NextAction": "thank-you", "ErrorType": "NoMatchingError"}],
    }
    assert by_id["thank-you"]["Transitions"]["NextAction"] == "disconnect"
