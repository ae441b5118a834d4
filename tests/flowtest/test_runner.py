"""Test cases run on the repo's flows and the real Lambdas (a fresh local sandbox each): the
testing-language documentation's two complete examples adapted to inbound_main, every override
target, the customer's instructions, chaining failures and the step budget."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tandem.flowtest import RunOptions, TestCaseError
from tests.flowtest.support import (
    check,
    completed,
    control,
    document,
    dtmf,
    end_test,
    initiated,
    instruction,
    message,
    mock_error,
    mock_result,
    mock_value,
    observation,
    override,
    run,
    started,
    substitute,
    wrapper,
)

MENU = "To speak to someone, press 0."


def test_docs_example_a_press_a_key_hear_the_prompt_assert_the_queue() -> None:
    result = run(
        wrapper(
            document(
                observation("start", initiated(), [], ["main-menu"]),
                observation("main-menu", message(MENU), [dtmf("press-0", "0")], ["connecting"]),
                observation(
                    "connecting",
                    message("One moment while I find the right person", "Similarity"),
                    [],
                    ["queued"],
                ),
                observation(
                    "queued",
                    started("TransferContactToQueue", QueueId="{{queue:general}}"),
                    [check("assert-queue", "$.Queue.Name", "Equals", "general", "end"), end_test()],
                ),
            )
        )
    )
    assert result.passed, result.failures
    assert [m.observation for m in result.matched] == ["start", "main-menu", "connecting", "queued"]
    assert result.simulation is not None and result.simulation.ended == "EndTest at observation 'queued'"


def test_docs_example_b_mock_a_lambda_and_assert_attributes_from_external() -> None:
    loaded = {"customerFound": "true", "firstName": "Zoe", "customerId": "C-42", "tier": "gold"}
    result = run(
        wrapper(
            document(
                observation(
                    "setup",
                    initiated(),
                    [
                        override(
                            "mock-lookup",
                            "InvokeLambdaFunction",
                            mock_result(loaded),
                            LambdaFunctionARN="{{lambda:crm_lookup}}",
                        )
                    ],
                    ["lambda-called", "greeting"],
                ),
                observation(
                    "lambda-called",
                    started("InvokeLambdaFunction", LambdaFunctionARN="{{lambda:crm_lookup}}"),
                ),
                observation(
                    "greeting",
                    message("Hello Zoe, thanks for calling."),
                    [
                        check("assert-attr", "$.Attributes.firstName", "Equals", "Zoe", "assert-ext"),
                        check("assert-ext", "$.External.customerId", "Exists", following="end"),
                        end_test(),
                    ],
                ),
            )
        )
    )
    assert result.passed, result.failures
    calls = result.simulation.lambda_calls if result.simulation else []
    assert calls[0].function == "crm_lookup" and calls[0].mocked and calls[0].response == loaded


def test_a_mocked_lambda_error_takes_the_error_branch_without_calling_the_handler() -> None:
    result = run(
        wrapper(
            document(
                observation(
                    "start",
                    initiated(),
                    [
                        override(
                            "fail",
                            "InvokeLambdaFunction",
                            mock_error("TimeLimitExceeded"),
                            LambdaFunctionARN="{{lambda:ivr_decision}}",
                        )
                    ],
                    ["menu"],
                ),
                observation("menu", message(MENU), [dtmf("press", "0")], ["fallback"]),
                observation(
                    "fallback", message("Let me put you through to the next available person."), [end_test()]
                ),
            )
        )
    )
    assert result.passed, result.failures
    decision = (
        [c for c in result.simulation.lambda_calls if c.function == "ivr_decision"]
        if result.simulation
        else []
    )
    assert decision[0].mocked and decision[0].response is None and "TimeLimitExceeded" in decision[0].error


def closed_hours_case(hours_override: dict[str, Any]) -> dict[str, Any]:
    escalation_fails = override(
        "fail",
        "InvokeLambdaFunction",
        mock_error("NoMatchingError"),
        "hours",
        LambdaFunctionARN="{{lambda:escalation}}",
    )
    return wrapper(
        document(
            observation("start", initiated(), [escalation_fails, hours_override], ["menu"]),
            observation("menu", message(MENU), [dtmf("press", "0")], ["hours-checked"]),
            observation("hours-checked", started("CheckHoursOfOperation"), [], ["closed"]),
            observation(
                "closed",
                message("Sorry, there's no one here to take your call right now."),
                [],
                ["done"],
            ),
            observation(
                "done", completed(), [check("outcome", "$.Attributes.tandemOutcome", "Equals", "CLOSED")]
            ),
        )
    )


def test_substituted_closed_hours_and_mocked_out_of_hours_close_the_line() -> None:
    substituted = run(
        closed_hours_case(override("hours", "CheckHoursOfOperation", substitute("{{hours:always_closed}}")))
    )
    assert substituted.passed, substituted.failures
    mocked = run(closed_hours_case(override("hours", "CheckHoursOfOperation", mock_value("OutOfHours"))))
    assert mocked.passed, mocked.failures
    still_open = run(
        closed_hours_case(override("hours", "CheckHoursOfOperation", substitute("{{hours:always_open}}")))
    )
    assert not still_open.passed
    assert "observation 'closed' never matched" in still_open.failures[0]


def test_queue_at_capacity_offers_a_callback() -> None:
    result = run(
        wrapper(
            document(
                observation(
                    "start",
                    initiated(),
                    [override("full", "TransferContactToQueue", mock_error("QueueAtCapacity"))],
                    ["menu"],
                ),
                observation("menu", message(MENU), [dtmf("press", "0")], ["full"]),
                observation(
                    "full",
                    message("all of our lines are full right now"),
                    [dtmf("callback", "1")],
                    ["booked"],
                ),
                observation(
                    "booked",
                    message("We'll call you back", "Similarity"),
                    [check("outcome", "$.Attributes.tandemOutcome", "Equals", "CALLBACK")],
                ),
            )
        )
    )
    assert result.passed, result.failures
    assert result.simulation is not None and result.simulation.outcome == "callback"


def test_a_substituted_queue_is_the_one_the_contact_joins() -> None:
    result = run(
        wrapper(
            document(
                observation(
                    "start",
                    initiated(),
                    [override("test-queue", "TransferContactToQueue", substitute("{{queue:priority}}"))],
                    ["menu"],
                ),
                observation("menu", message(MENU), [dtmf("press", "0")], ["done"]),
                observation("done", completed(), [check("queue", "$.Queue.Name", "Equals", "priority")]),
            )
        )
    )
    assert result.passed, result.failures
    assert result.simulation is not None and result.simulation.queue == "priority"


LEX = {"Tandem": {"Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"}}}


def test_speech_to_the_bot_and_a_mocked_bot_error() -> None:
    spoken = run(
        wrapper(
            document(
                observation("bot", started("ConnectParticipantWithLexBot"), [], ["asked"]),
                observation(
                    "asked",
                    message("how can I help you today?"),
                    [
                        instruction(
                            "say",
                            {
                                "Type": "TextUtterance",
                                "Properties": {
                                    "Text": "I want to speak to a person",
                                    "LanguageCode": "en-US",
                                },
                            },
                        )
                    ],
                    ["connecting"],
                ),
                observation(
                    "connecting", message("One moment while I find the right person for you."), [end_test()]
                ),
                metadata=LEX,
            )
        )
    )
    assert spoken.passed, spoken.failures
    failing_bot = run(
        wrapper(
            document(
                observation(
                    "start",
                    initiated(),
                    [override("bot-down", "ConnectParticipantWithLexBot", mock_error("NoMatchingError"))],
                    ["menu"],
                ),
                observation("menu", message(MENU), [end_test()]),
                metadata=LEX,
            )
        )
    )
    assert failing_bot.passed, failing_bot.failures


def test_silence_then_a_disconnect_ends_the_call() -> None:
    result = run(
        wrapper(
            document(
                observation("menu", message(MENU), [], ["again"]),
                observation(
                    "again",
                    message("Sorry, I didn't catch that."),
                    [instruction("hang-up", {"Type": "Disconnect"})],
                    ["done"],
                ),
                observation("done", completed()),
            )
        )
    )
    assert result.passed, result.failures
    assert result.simulation is not None and "disconnected" in result.simulation.ended
    assert not any(c.function == "ivr_decision" for c in result.simulation.lambda_calls)


def test_a_bare_document_takes_its_entry_point_from_options_and_attributes_log_data() -> None:
    raw = document(
        observation(
            "start",
            initiated(),
            [
                control(
                    "log",
                    {
                        "Type": "LogData",
                        "Properties": {
                            "Expressions": {"channel": "$.Channel", "who": "$.CustomerEndpoint.Address"}
                        },
                    },
                )
            ],
            ["menu"],
        ),
        observation("menu", message("Thanks for calling."), [end_test()]),
    )
    result = run(raw, options=RunOptions(flow="inbound_main", caller="+12025550188", channel="VOICE"))
    assert result.passed, result.failures
    assert result.logged == {"channel": "VOICE", "who": "+12025550188"}


def test_initialization_data_seeds_contact_attributes() -> None:
    raw = wrapper(
        document(
            observation(
                "start",
                initiated(),
                [check("seeded", "$.Attributes.campaign", "Equals", "winter", "stop"), end_test("stop")],
            )
        ),
        attributes=json.dumps({"campaign": "winter"}),
    )
    result = run(raw)
    assert result.passed, result.failures


def test_a_failed_assertion_fails_the_test_with_expected_and_actual() -> None:
    result = run(
        wrapper(
            document(
                observation(
                    "menu", message(MENU), [check("queue", "$.Attributes.firstName", "Equals", "Bob")]
                )
            ),
        )
    )
    assert not result.passed
    assert result.failures == [
        "observation 'menu', action 'queue': assert $.Attributes.firstName Equals \"Bob\" failed; actual Ana"
    ]


def test_the_step_budget_stands_in_for_the_timeout() -> None:
    result = run(
        wrapper(
            document(
                observation("menu", message(MENU), [dtmf("press", "0")], ["never"]),
                observation("never", message("Goodbye forever")),
            )
        ),
        options=RunOptions(max_steps=25),
    )
    assert not result.passed
    assert result.failures[0].startswith(
        "the contact did not end within the step budget: step guard: 25 steps"
    )
    assert any(f.startswith("observation 'never' never matched") for f in result.failures)


def test_a_chat_contact() -> None:
    raw = wrapper(document(observation("greeting", message("Thanks for calling."), [end_test()])))
    raw["EntryPoint"] = {"Type": "CHAT", "ChatEntryPointParameters": {"FlowId": "{{flow:inbound_main}}"}}
    result = run(raw)
    assert result.passed, result.failures
    assert result.simulation is not None and not result.simulation.attributes.get("firstName")


def test_a_misspelt_resource_is_one_line() -> None:
    raw = wrapper(
        document(
            observation("lambda", started("InvokeLambdaFunction", LambdaFunctionARN="{{lambda:crm_lokup}}"))
        )
    )
    with pytest.raises(TestCaseError) as caught:
        run(raw)
    assert str(caught.value) == (
        "case.json: no such resource: {{lambda:crm_lokup}} "
        "(known: crm_lookup, ctr_ingest, escalation, experiment_guard, ivr_decision, survey)"
    )
    with pytest.raises(TestCaseError, match="placeholders of unknown types: \\{\\{bot:x\\}\\}"):
        run(wrapper(document(observation("x", message("{{bot:x}}")))))


def test_a_long_queue_runs_the_hold_loop_where_a_callback_is_taken() -> None:
    result = run(
        wrapper(
            document(
                observation("menu", message(MENU), [dtmf("press", "0")], ["offer"]),
                observation("offer", message("To hold, press 2."), [dtmf("hold", "2")], ["queued"]),
                observation("queued", started("TransferContactToQueue"), [], ["hold"]),
                observation(
                    "hold", message("You've been waiting a while."), [dtmf("callback", "1")], ["booked"]
                ),
                observation("booked", message("We'll call you back", "Similarity"), [end_test()]),
                metadata={"Tandem": {"QueueWaitSeconds": 900}},
            )
        )
    )
    assert result.passed, result.failures
    assert result.simulation is not None and result.simulation.outcome == "callback"
    assert "customer_queue" in {s.flow for s in result.simulation.steps}
