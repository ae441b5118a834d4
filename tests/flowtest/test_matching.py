"""Matching events, grouping prompts into messages, and what actions do — without a sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tandem.flows.simulator import EndContact, FlowEvent
from tandem.flowtest import parse
from tandem.flowtest.actions import Effects, check
from tandem.flowtest.events import TestEvent, matches, similarity
from tandem.flowtest.runner import Harness
from tests.flowtest.support import (
    document,
    dtmf,
    end_test,
    initiated,
    instruction,
    message,
    mock_error,
    mock_result,
    observation,
    override,
    started,
    substitute,
)

FILE = Path("case.json")
MENU = "For the status of an order, press 1. To speak to someone, press 0."


def only(event: dict[str, Any]) -> Any:
    return parse(document(observation("o", event)), FILE).observations[0]


def heard(text: str, *parts: str) -> TestEvent:
    return TestEvent("MessageReceived", text=text, parts=parts or (text,))


def test_inclusion_is_an_exact_substring_after_whitespace_normalisation() -> None:
    assert matches(only(message("press 1.  To speak")), heard(MENU))
    assert not matches(only(message("Press 1")), heard(MENU))  # case counts
    assert not matches(only(message("press 9")), heard(MENU))


def test_similarity_is_a_token_set_ratio_with_a_threshold() -> None:
    assert similarity("Thank you for calling, goodbye", "Thank you for calling. Goodbye.") == 1.0
    assert similarity("please hold for sales", "Please hold while we connect you to sales") < 1.0
    observed = only(message("Thank you for calling goodbye", "Similarity"))
    assert matches(observed, heard("Thank you for calling. Goodbye."))
    assert not matches(observed, heard("Your order has shipped."))
    near = only(message("thanks for your call, goodbye", "Similarity"))
    score = similarity("thanks for your call, goodbye", "Thank you for calling. Goodbye.")
    assert matches(near, heard("Thank you for calling. Goodbye."), threshold=score)
    assert not matches(near, heard("Thank you for calling. Goodbye."), threshold=min(score + 0.01, 1.0))


def test_similarity_may_match_one_prompt_of_a_grouped_message() -> None:
    observed = only(message("One moment while I find the right person for you", "Similarity"))
    group = heard(
        "Sorry. " + MENU + " One moment while I find the right person for you.",
        "Sorry.",
        MENU,
        "One moment while I find the right person for you.",
    )
    assert matches(observed, group)


def test_flow_action_started_matches_type_and_the_resource() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ivr_decision"
    event = TestEvent(
        "FlowActionStarted", action_type="InvokeLambdaFunction", parameters={"LambdaFunctionARN": arn}
    )
    assert matches(only(started("InvokeLambdaFunction", LambdaFunctionARN=arn)), event)
    assert matches(only(started("InvokeLambdaFunction", LambdaFunctionARN="ivr_decision")), event)
    assert matches(
        only(
            started(
                "InvokeLambdaFunction",
                LambdaFunctionARN="arn:aws:lambda:eu-west-2:111122223333:function:ivr_decision:live",
            )
        ),
        event,
    )
    assert matches(only(started("InvokeLambdaFunction")), event)
    assert not matches(only(started("InvokeLambdaFunction", LambdaFunctionARN="crm_lookup")), event)
    assert not matches(only(started("CheckHoursOfOperation")), event)


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("Equals", "gold", "gold", True),
        ("Equals", 5, "5.0", True),
        ("Equals", "gold", "silver", False),
        ("TextStartsWith", "ASK", "ASKED_FOR_AGENT", True),
        ("TextEndsWith", "AGENT", "ASKED_FOR_AGENT", True),
        ("TextContains", "FOR", "ASKED_FOR_AGENT", True),
        ("TextContains", "x", "ASKED_FOR_AGENT", False),
        ("NumberGreaterThan", 2, "3", True),
        ("NumberGreaterThan", 3, "3", False),
        ("NumberGreaterOrEqualTo", 3, "3", True),
        ("NumberLessThan", 3, "2", True),
        ("NumberLessOrEqualTo", 2, "3", False),
        ("NumberLessThan", 3, "many", False),
        ("Exists", None, "x", True),
        ("Exists", None, None, False),
        ("Exists", None, "", False),
        ("Equals", "x", None, False),
    ],
)
def test_every_assert_operator(operator: str, operand: Any, value: Any, expected: bool) -> None:
    assert check(operator, operand, value) is expected


def test_overrides_are_single_use_first_in_first_out_per_resource() -> None:
    effects = Effects()
    case = parse(
        document(
            observation(
                "start",
                initiated(),
                [
                    override(
                        "one",
                        "InvokeLambdaFunction",
                        mock_error("NoMatchingError"),
                        "two",
                        LambdaFunctionARN="crm_lookup",
                    ),
                    override(
                        "two",
                        "InvokeLambdaFunction",
                        mock_result({"a": "1"}),
                        "three",
                        LambdaFunctionARN="crm_lookup",
                    ),
                    override("three", "TransferContactToQueue", substitute("arn:x/queue/queue-priority")),
                ],
            )
        ),
        FILE,
    )
    harness = Harness(case, similarity=0.8)
    harness.effects = effects
    harness.dispatch(TestEvent("TestInitiated"))
    crm = {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:crm_lookup"}
    assert (
        effects.take_override("InvokeLambdaFunction", {"LambdaFunctionARN": "arn:...:function:survey"})
        is None
    )
    first = effects.take_override("InvokeLambdaFunction", crm)
    second = effects.take_override("InvokeLambdaFunction", crm)
    assert first is not None and (first.strategy, first.value) == ("error", "NoMatchingError")
    assert second is not None and (second.strategy, dict(second.data)) == ("result", {"a": "1"})
    assert effects.take_override("InvokeLambdaFunction", crm) is None
    queue = effects.take_override("TransferContactToQueue", {"QueueId": "arn:x/queue/queue-general"})
    assert queue is not None and queue.value == "arn:x/queue/queue-priority"


def prompt(text: str) -> FlowEvent:
    return FlowEvent("prompt", "inbound_main", "say", "MessageParticipant", {}, text=text)


def test_consecutive_prompts_are_one_message_sent_when_input_is_asked() -> None:
    case = parse(
        document(
            observation("start", initiated(), [], ["both"]),
            observation("both", message("Hello. " + MENU), [dtmf("press", "0")]),
        ),
        FILE,
    )
    harness = Harness(case, similarity=0.8)
    harness.observe(FlowEvent("started", "inbound_main", "", "", {}))
    harness.observe(prompt("Hello."))
    harness.observe(prompt(MENU))
    assert [m.observation for m in harness.matched] == ["start"]  # nothing sent before the input
    assert harness.respond("inbound_main", "ask-menu", MENU) == "0"
    assert [m.observation for m in harness.matched] == ["start", "both"]
    assert harness.finish() == []


def test_an_observed_action_sends_the_waiting_message_first() -> None:
    case = parse(
        document(
            observation("hello", message("Hello.")), observation("lambda", started("InvokeLambdaFunction"))
        ),
        FILE,
    )
    harness = Harness(case, similarity=0.8)
    harness.observe(prompt("Hello."))
    harness.observe(
        FlowEvent("action", "inbound_main", "x", "InvokeLambdaFunction", {}, {"LambdaFunctionARN": "a"})
    )
    assert harness.events[:2] == [
        'MessageReceived "Hello."',
        "FlowActionStarted InvokeLambdaFunction(LambdaFunctionARN=a) at inbound_main/x",
    ]


def test_chaining_usage_and_a_timeout_names_what_happened_instead() -> None:
    case = parse(
        document(
            observation("twice", message("press 1"), [], ["after"], usage={"Type": "EXACTLY", "Times": 2}),
            observation("after", message("goodbye")),
            observation("any", message("Sorry"), usage={"Type": "ANY"}),
        ),
        FILE,
    )
    harness = Harness(case, similarity=0.8)
    harness.dispatch(heard(MENU))
    harness.dispatch(heard("Sorry. " + MENU))
    harness.dispatch(heard("Thanks, bye."))
    failures = harness.finish()
    assert [m.observation for m in harness.matched] == ["twice", "twice", "any"]
    assert len(failures) == 1
    assert failures[0].startswith(
        "observation 'after' never matched: expected MessageReceived (Inclusion) \"goodbye\""
    )
    assert 'MessageReceived "Thanks, bye."' in failures[0]


def test_end_test_and_disconnect_end_the_contact() -> None:
    ended = parse(document(observation("hello", message("Hello."), [end_test()])), FILE)
    harness = Harness(ended, similarity=0.8)
    harness.observe(prompt("Hello."))
    with pytest.raises(EndContact, match="EndTest at observation 'hello'"):
        harness.respond("f", "a", "")
    hangs_up = parse(
        document(observation("hello", message("Hello."), [instruction("bye", {"Type": "Disconnect"})])), FILE
    )
    harness = Harness(hangs_up, similarity=0.8)
    harness.observe(prompt("Hello."))
    with pytest.raises(EndContact, match="the customer disconnected"):
        harness.respond("f", "a", "")


def test_ssml_is_compared_as_its_text() -> None:
    observed = only(
        {
            "Type": "MessageReceived",
            "Properties": {"SSML": "<speak>Thanks for <emphasis>calling</emphasis>.</speak>"},
        }
    )
    assert matches(observed, heard("Thanks for calling. For the status of an order, press 1."))


def test_next_observations_wait_for_the_last_of_times() -> None:
    case = parse(
        document(
            observation("twice", message("press 1"), [], ["after"], usage={"Type": "EXACTLY", "Times": 2}),
            observation("after", message("press 1")),
        ),
        FILE,
    )
    harness = Harness(case, similarity=0.8)
    harness.dispatch(heard(MENU))
    harness.dispatch(heard(MENU))
    assert [m.observation for m in harness.matched] == ["twice", "twice"]
    harness.dispatch(heard(MENU))
    assert [m.observation for m in harness.matched][-1] == "after"
    assert harness.finish() == []
