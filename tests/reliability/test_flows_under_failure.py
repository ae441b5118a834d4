"""Flows under failure: every demo call, with each Lambda failing, still ends well.

Each demo scenario (`tandem.demo.scenarios.DEMO_SCENARIOS`) runs through the real flows and
handlers with one function the flows call failing one way (`simulate(..., lambda_faults=...)`):
"error" (the handler raises), "timeout" (it runs past the block's InvocationTimeLimitSeconds) or
"invalid" (it answers a nested map, which the blocks' STRING_MAP validation refuses). A call ends
well when:

- the simulator completed (no guard stopped it) and warned of nothing (no block lacked a branch);
- the outcome is a person (queued), a callback, a polite close (closed) or self-service; or, for a
  call the flow hung up on without claiming one of those (disconnected), the run's last step is a
  DisconnectParticipant and the last block before it that played something to the caller is a
  MessageParticipant: never silence, never a question left unanswered;
- the caller heard at least one prompt after the first failing block;
- only the failing function's blocks took their error branch, and a call that never reached the
  failing function is exactly the scenario's expected call.

What each failure leads to (a dedicated test per function pins it, for every fault kind):

| failing | what the caller gets |
|---|---|
| crm_lookup | the generic greeting ("Thanks for calling."); the call goes on as an unknown caller |
| ivr_decision | "Let me put you through to the next available person.": the general queue (or the |
| | queue flow's callback); after hours, a polite close (CLOSED) |
| escalation | the general queue (or the queue flow's callback: a failed claim still books it); after |
| | hours, a polite close (CLOSED); self-service is untouched |
| survey | "Thank you for calling. Goodbye.", as when the rating is recorded; nothing else changes |
| all four | the generic greeting, then the general queue, the queue flow's callback, or after hours |
| | a polite close |

The after-hours close when ivr_decision or escalation fails comes from `check-hours-general`
(inbound_main), a CheckHoursOfOperation on the general queue's hours before the caller is queued
there: nobody answers a queue out of hours.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection
from pathlib import Path

import pytest

from tandem.cli import main
from tandem.demo.scenarios import DEMO_SCENARIOS, Scenario, mismatches, place_call
from tandem.flows.simulator import (
    FLOWS_DIR,
    LAMBDA_FAULTS,
    LambdaFault,
    Prompt,
    SimulationConfig,
    SimulationResult,
    simulate,
)
from tandem.local import Sandbox, sandbox
from tests.flows.test_simulator import END, action, error, lambda_block, say, when, write_flow

FUNCTIONS = ("crm_lookup", "ivr_decision", "escalation", "survey")
ENDS_WELL = {"queued", "callback", "closed", "self-served"}
AUDIBLE = {
    "MessageParticipant",
    "MessageParticipantIteratively",
    "GetParticipantInput",
    "ConnectParticipantWithLexBot",
}
INJECTED = "(injected)"

GREETING = "Thanks for calling."
TO_A_PERSON = "Let me put you through to the next available person."
CLOSED_GOODBYE = "Sorry, there's no one here to take your call right now. Please call again when we're open."
THANKS_GOODBYE = "Thank you for calling. Goodbye."


# --- running and judging calls ------------------------------------------------------------------


@functools.cache
def calls(failing: tuple[str, ...], fault: LambdaFault) -> tuple[tuple[Scenario, SimulationResult], ...]:
    """Every demo scenario with `failing` failing; one sandbox (the scenarios' numbers differ)."""
    with sandbox(attach=False) as box:
        return tuple(
            (call, place_call(box, call, lambda_faults=dict.fromkeys(failing, fault)))
            for call in DEMO_SCENARIOS
        )


def played_by_step(result: SimulationResult) -> list[list[Prompt]]:
    """The prompts each step played, by step index (a block records its prompts, then its step)."""
    played: list[list[Prompt]] = [[] for _ in result.steps]
    prompts = result.prompts
    at = 0
    for index, step in enumerate(result.steps):
        while at < len(prompts) and (prompts[at].flow, prompts[at].action) == (step.flow, step.action):
            played[index].append(prompts[at])
            at += 1
    assert at == len(prompts), "a prompt matches no step"
    return played


def first_failure(result: SimulationResult, failing: Collection[str]) -> int | None:
    """The index of the first step whose Lambda block failed on a `failing` function, None if none."""
    failed = [c for c in result.lambda_calls if c.function in failing and c.error]
    if not failed:
        return None
    first = failed[0]
    for index, step in enumerate(result.steps):
        if (step.flow, step.action, step.type) == (first.flow, first.action, "InvokeLambdaFunction"):
            return index
    raise AssertionError(f"no step for the failed call {first}")


def problems(result: SimulationResult, failing: Collection[str]) -> list[str]:
    """How the call did not end well (see the module docstring); [] when it did."""
    found = []
    if result.stopped or result.outcome == "error":
        found.append(f"stopped: {result.stopped or 'outcome error'}")
    if result.warnings:
        found.append(f"warnings: {result.warnings}")
    played = played_by_step(result)
    if result.outcome not in ENDS_WELL:
        audible = [
            i
            for i, s in enumerate(result.steps)
            if s.type in AUDIBLE and any(p.to == "customer" for p in played[i])
        ]
        last = result.steps[audible[-1]] if audible else None
        if not result.steps or result.steps[-1].type != "DisconnectParticipant":
            found.append(f"outcome {result.outcome!r} without a DisconnectParticipant at the end")
        elif last is None or last.type != "MessageParticipant":
            found.append(f"hung up after {'silence' if last is None else f'{last.type} {last.action!r}'}")
    for call in result.lambda_calls:
        if call.function in failing and not call.error.endswith(INJECTED):
            found.append(
                f"{call.function} ({call.action}) did not fail as injected: {call.error or 'answered'}"
            )
        if call.function not in failing and call.error:
            found.append(f"{call.function} ({call.action}) failed unasked: {call.error}")
    failed_at = first_failure(result, failing)
    if failed_at is not None and not any(
        p.to == "customer" for heard in played[failed_at + 1 :] for p in heard
    ):
        found.append(f"heard nothing after {result.steps[failed_at].action!r} failed")
    return found


def heard_after(result: SimulationResult, failing: Collection[str]) -> list[str]:
    failed_at = first_failure(result, failing)
    assert failed_at is not None
    return [p.text for heard in played_by_step(result)[failed_at + 1 :] for p in heard if p.to == "customer"]


def called(result: SimulationResult, function: str) -> bool:
    return any(c.function == function for c in result.lambda_calls)


# --- the matrix ------------------------------------------------------------------------------------


def test_the_functions_are_the_ones_the_flows_call() -> None:
    text = "".join(path.read_text(encoding="utf-8") for path in FLOWS_DIR.glob("*.json"))
    assert set(re.findall(r"\{\{lambda:([A-Za-z0-9_-]+)\}\}", text)) == set(FUNCTIONS)


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_demo_call_ends_well_with_one_lambda_failing(function: str, fault: LambdaFault) -> None:
    found, exercised = {}, 0
    for call, result in calls((function,), fault):
        exercised += called(result, function)
        trouble = problems(result, (function,))
        if not called(result, function):  # the failure never came into it: the call as expected
            trouble += mismatches(call, result)
        if trouble:
            found[call.name] = trouble
    assert found == {}
    assert exercised >= 4  # the failure came into most calls


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
def test_every_lambda_failing_at_once_still_reaches_a_person_or_a_polite_message(fault: LambdaFault) -> None:
    for call, result in calls(FUNCTIONS, fault):
        assert problems(result, FUNCTIONS) == [], call.name
        assert all(c.error.endswith(INJECTED) for c in result.lambda_calls), call.name
        assert result.heard[0] == GREETING
        if call.hours == "closed":
            assert result.outcome == "closed" and result.heard[-1] == CLOSED_GOODBYE, call.name
        else:
            assert TO_A_PERSON in result.heard, call.name
            assert (result.outcome, result.queue) in {("queued", "general"), ("callback", "callback")}, (
                call.name
            )


# --- what each failure leads to --------------------------------------------------------------------


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
def test_crm_lookup_failing_gives_the_generic_greeting_and_the_call_goes_on(fault: LambdaFault) -> None:
    for call, result in calls(("crm_lookup",), fault):
        lookup, decision = result.lambda_calls[:2]
        assert lookup.function == "crm_lookup" and lookup.error.endswith(INJECTED), call.name
        assert heard_after(result, ["crm_lookup"])[0] == result.heard[0] == GREETING, call.name
        assert "customerFound" not in result.attributes, call.name  # an unknown caller
        assert decision.function == "ivr_decision" and not decision.error, call.name
        assert result.outcome in ENDS_WELL, call.name


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
def test_ivr_decision_failing_puts_the_caller_through_to_a_person(fault: LambdaFault) -> None:
    for call, result in calls(("ivr_decision",), fault):
        assert heard_after(result, ["ivr_decision"])[0] == TO_A_PERSON, call.name
        assert "escalate" not in result.path("inbound_main"), call.name
        if call.hours == "closed":  # nobody answers the general queue out of hours
            assert result.outcome == "closed" and result.heard[-1] == CLOSED_GOODBYE, call.name
        elif result.outcome == "callback":  # taken in the general queue's hold (the queue flow)
            assert result.queue == "callback" and "create-callback" in result.path("customer_queue"), (
                call.name
            )
        else:
            assert (result.outcome, result.queue) == ("queued", "general"), call.name


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
def test_escalation_failing_sends_the_caller_to_the_general_queue(fault: LambdaFault) -> None:
    outcomes = set()
    for call, result in calls(("escalation",), fault):
        if not called(result, "escalation"):  # self-served: escalation plays no part
            assert call.expect.outcome == "self-served" and mismatches(call, result) == [], call.name
            continue
        outcomes.add(result.outcome)
        if call.hours == "closed":
            assert result.outcome == "closed" and result.heard[-1] == CLOSED_GOODBYE, call.name
        elif result.outcome == "callback":  # the queue flow's claim failed: the callback is booked anyway
            assert result.queue == "callback", call.name
            claim = [c for c in result.lambda_calls if c.action == "claim-callback"]
            assert claim and claim[-1].error.endswith(INJECTED), call.name
        else:
            assert (result.outcome, result.queue) == ("queued", "general"), call.name
    assert outcomes == {"queued", "callback", "closed"}


@pytest.mark.parametrize("fault", LAMBDA_FAULTS)
def test_survey_failing_still_thanks_the_caller(fault: LambdaFault) -> None:
    rated = 0
    for call, result in calls(("survey",), fault):
        assert mismatches(call, result) == [], call.name  # the same call, outcome and queue
        if called(result, "survey"):
            rated += 1
            assert heard_after(result, ["survey"]) == [THANKS_GOODBYE], call.name
            assert result.steps[-1].type == "DisconnectParticipant", call.name
    assert rated >= 8


# --- the fault kinds, the judge, the command ---------------------------------------------------


def test_each_fault_kind_is_recorded_as_the_reason_for_the_error_branch(box: Sandbox) -> None:
    call = DEMO_SCENARIOS[0]
    reasons = {}
    for fault in LAMBDA_FAULTS:
        lookup = place_call(box, call, lambda_faults={"crm_lookup": fault}).lambda_calls[0]
        reasons[fault] = lookup.error
        if fault == "error":  # the handler is not called
            assert lookup.response is None
        if fault == "timeout":  # it ran; its answer came too late
            assert lookup.response["status"] == "OK"
        if fault == "invalid":  # its answer, with a nested map
            assert lookup.response["injected"] == {"nested": "map"}
    assert reasons == {
        "error": "the handler raised an error (injected)",
        "timeout": "timed out: ran past InvocationTimeLimitSeconds 4 (injected)",
        "invalid": "the response is not a flat string map (STRING_MAP) (injected)",
    }
    with pytest.raises(ValueError, match="slow"):
        simulate("inbound_main", box=box, config=SimulationConfig(lambda_faults={"crm_lookup": "slow"}))  # type: ignore[dict-item]


def test_the_judge_catches_a_silent_hang_up_and_a_question_left_hanging(box: Sandbox, tmp_path: Path) -> None:
    ask = action(
        "ask",
        "GetParticipantInput",
        {"Text": "Press 1 to continue.", "StoreInput": "False"},
        NextAction="end",
        Conditions=[when("1", "end")],
        Errors=[error("InputTimeLimitExceeded", "end")],
    )
    cases = {
        "silent": (lambda_block("lookup", "crm_lookup", "hello", "end"), say("hello", "Hello.", "end")),
        "asks": (lambda_block("lookup", "crm_lookup", "end", "ask"), ask),
        "polite": (
            lambda_block("lookup", "crm_lookup", "end", "sorry"),
            say("sorry", "Sorry, goodbye.", "end"),
        ),
    }
    found = {}
    for name, blocks in cases.items():
        flow = write_flow(tmp_path, name, *blocks, END)
        result = simulate(flow, box=box, config=SimulationConfig(lambda_faults={"crm_lookup": "error"}))
        assert result.outcome == "disconnected"
        found[name] = problems(result, ["crm_lookup"])
    assert found == {
        "silent": ["hung up after silence", "heard nothing after 'lookup' failed"],
        "asks": ["hung up after GetParticipantInput 'ask'"],
        "polite": [],
    }


def test_cli_fail_flag_makes_the_function_fail(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "inbound_main", "--input", "1", "--fail", "ivr_decision=timeout", "--fail", "survey"]
    assert main([*args, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    failed = {c["function"]: c["error"] for c in document["lambdaCalls"] if c["error"]}
    assert failed == {"ivr_decision": "timed out: ran past InvocationTimeLimitSeconds 4 (injected)"}
    assert (document["outcome"], document["queue"]) == ("queued", "general")


@pytest.mark.parametrize("value", ["survey=slow", "nope", "=error"])
def test_cli_fail_flag_with_an_unknown_function_or_kind_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "inbound_main", "--fail", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--fail" in err and "timeout" in err
