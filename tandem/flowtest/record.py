"""`tandem test record`: one simulated call becomes a test case in Connect's testing language.

`record(result, setup)` reads what the simulator saw, in order, and writes a test case in the
wrapper form the repo keeps in `flows/tests/` (`Name`, `EntryPoint`, `Content`), with the repo's
typed placeholders (`{{flow:x}}`, `{{lambda:x}}`, `{{queue:x}}`) instead of ARNs:

- a `TestInitiated` observation first, carrying a substitute of the tests' own queue
  (`{{queue:test}}`) for each queue transfer the flows hold, so the case can be deployed and run in
  the cloud without reaching a live agent (the demo ignores it: `RunOptions.live_queues`), then an
  `OverrideSystemBehavior` (a mocked Lambda
  error: `NoMatchingError`, or `TimeLimitExceeded` for a timeout) for every Lambda call the run
  failed on purpose (`--fail`), in call order, since an override is single-use and consumed
  first in, first out;
- a `MessageReceived` observation per message the caller heard (see below), with a
  `SendInstruction` action for the input the caller gave there (`DtmfInput` for keys,
  `TextUtterance` for words to a Lex bot; silence gives none, so the block times out);
- a `FlowActionStarted` observation per Lambda invoked and per queue transfer (with an `Assert`
  on `$.Queue.Name`);
- a `TestCompleted` observation last, with an `Assert` on the outcome attribute when the flows set
  one.

The observations are chained in order through `NextObservations`. Messages: the service delivers
the prompts a caller hears in a row as one message; `record` closes a message at an input block
(its prompt included), as an observed flow action starts (a Lambda, an hours check, a queue
transfer, a Lex bot) and at the end, and expects the message
to include their texts joined by a space (`Inclusion`), cut before a date (`date_free`). What the
testing language cannot say (the moment, the queue's wait, settings, the CRM outage, the
language, a withheld number) goes in `Metadata.Tandem` (`tandem.flowtest.conditions`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.constants import TEST_QUEUE_NAMES
from infra.flow_test_cases import QUEUE_TRANSFERS, transfers_reachable
from tandem.flows.simulator import FLOWS_DIR, LambdaFault, SimulationResult
from tandem.flows.simulator.results import OUTCOME_ATTRIBUTE
from tandem.flowtest.conditions import METADATA_KEY, LocalConditions, conditions_block

VERSION = "2025-06-21"  # the documented Version of the testing language
# How a fault the simulator injects is written as a mocked Lambda error in the testing language.
MOCKED_ERRORS: dict[str, str] = {"error": "NoMatchingError", "timeout": "TimeLimitExceeded"}
PROMPT_TYPES = frozenset(
    {
        "MessageParticipant",
        "GetParticipantInput",
        "ConnectParticipantWithLexBot",
        "MessageParticipantIteratively",
    }
)
# Prompts heard in a row are one message; its text is theirs joined so (the local runner's rule).
MESSAGE_JOINER = " "
# Flow actions whose start the service reports (FlowActionStarted): a message ends as one starts.
FLUSHING_TYPES = frozenset(
    {
        "InvokeLambdaFunction",
        "CheckHoursOfOperation",
        "TransferContactToQueue",
        "ConnectParticipantWithLexBot",
    }
)
# A date in a prompt ("Saturday, December 5", "2026-12-05"): the sandbox's demo data dates orders
# from the day it starts, so a recording that expects one fails the next day.
_DATE = re.compile(
    r"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December) \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?|\b\d{4}-\d{2}-\d{2}\b"
)
_QUEUED = re.compile(r"^queued in (\S+) at priority")


class RecordError(ValueError):
    """The run cannot be written as a test case; the message is one line saying why."""


@dataclass(frozen=True)
class Recording:
    """What `record` needs besides the result: who called, how, and under which conditions."""

    name: str
    flow: str  # the flow's name in flows/
    caller: str  # +E164, or "anonymous"
    channel: str = "VOICE"
    conditions: LocalConditions = field(default_factory=LocalConditions)
    lambda_faults: Mapping[str, LambdaFault] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class _Event:
    kind: str  # "prompt" | "input" | "lambda" | "queue" | "flush" (a message ends here)
    value: str
    action: str = ""
    speech: bool = False


def record(result: SimulationResult, recording: Recording) -> dict[str, Any]:
    """The test case (wrapper form) for `result`, a run set up as `recording` says."""
    if result.stopped:
        raise RecordError(f"the run did not complete ({result.stopped}); nothing to record")
    for function, fault in dict(recording.lambda_faults).items():
        if fault not in MOCKED_ERRORS:
            raise RecordError(
                f"--fail {function}={fault}: the testing language has no equivalent "
                f"(it mocks a Lambda error as {' or '.join(MOCKED_ERRORS.values())})"
            )
    observations = [_start(result, recording)]
    for index, (event, instruction) in enumerate(_grouped(_events(result)), start=1):
        observations.append(_observation(index, event, instruction, recording.conditions.language_code))
    observations.append(_completed(result))
    for current, following in itertools.pairwise(observations):
        current["Transitions"] = {"NextObservations": [following["Identifier"]]}
    observations[-1]["Transitions"] = {"NextObservations": []}
    metadata: dict[str, Any] = {}
    block = conditions_block(recording.conditions)
    if block:
        metadata[METADATA_KEY] = block
    case: dict[str, Any] = {"Name": recording.name}
    if recording.description:
        case["Description"] = recording.description
    case["EntryPoint"] = _entry_point(recording)
    case["Content"] = {"Version": VERSION, "Metadata": metadata, "Observations": observations}
    return case


def _entry_point(recording: Recording) -> dict[str, Any]:
    flow_id = f"{{{{flow:{recording.flow}}}}}"
    if recording.channel.upper() == "CHAT":
        return {"Type": "CHAT", "ChatEntryPointParameters": {"FlowId": flow_id}}
    parameters: dict[str, str] = {"FlowId": flow_id}
    if not recording.conditions.withheld:
        parameters["SourcePhoneNumber"] = recording.caller
    return {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": parameters}


def _events(result: SimulationResult) -> Iterator[_Event]:
    """What the caller heard and did, the Lambdas invoked and the queue transfers, in order."""
    prompts, calls = list(result.prompts), list(result.lambda_calls)
    for step in result.steps:
        if step.type in FLUSHING_TYPES:
            yield _Event("flush", "", step.action)  # the block starts before it plays anything
        if step.type in PROMPT_TYPES:
            many = step.type == "MessageParticipantIteratively"
            while prompts and (prompts[0].flow, prompts[0].action) == (step.flow, step.action):
                prompt = prompts.pop(0)
                if prompt.to == "customer":
                    yield _Event("prompt", prompt.text, step.action)
                if not many:
                    break
            if step.said is not None:
                yield _Event(
                    "input", step.said, step.action, speech=step.type == "ConnectParticipantWithLexBot"
                )
        elif step.type == "InvokeLambdaFunction":
            call = calls.pop(0) if calls else None
            if call is None or (call.flow, call.action) != (step.flow, step.action):
                raise RecordError(f"{step.flow}/{step.action}: the run's Lambda calls are out of step")
            yield _Event("lambda", call.function, step.action)
        elif step.type == "TransferContactToQueue":
            queued = _QUEUED.match(step.note)
            if queued:  # a transfer that failed (a mocked error) is observed by its test, not here
                yield _Event("queue", queued.group(1), step.action)


def _grouped(events: Iterator[_Event]) -> Iterator[tuple[_Event, _Event | None]]:
    """Each observable event with the input given there; prompts in a row become one message."""
    heard: list[_Event] = []

    def message() -> _Event:
        text = date_free(MESSAGE_JOINER.join(e.value for e in heard))
        return _Event("prompt", text, heard[-1].action)

    for event in events:
        if event.kind == "prompt":
            heard.append(event)
            continue
        if event.kind == "input":
            if not heard:
                raise RecordError(f"{event.action}: the caller gave input without hearing a prompt")
            yield message(), event
            heard = []
            continue
        if heard:
            yield message(), None
            heard = []
        if event.kind != "flush":
            yield event, None
    if heard:
        yield message(), None


def _start(result: SimulationResult, recording: Recording) -> dict[str, Any]:
    faults = dict(recording.lambda_faults)
    actions: list[dict[str, Any]] = []
    for call in result.lambda_calls:
        fault = faults.get(call.function)
        if fault is None or "(injected)" not in call.error:
            continue
        actions.append(
            _override(
                f"mock-{call.function}-{len(actions) + 1}",
                "InvokeLambdaFunction",
                {"LambdaFunctionARN": _lambda(call.function)},
                {
                    "Type": "MockResponse",
                    "Response": {"Type": "Error", "Error": {"Value": MOCKED_ERRORS[fault]}},
                },
            )
        )
    return {
        "Identifier": "start",
        "Event": {"Identifier": "evt-start", "Type": "TestInitiated", "Actor": "System", "Properties": {}},
        "Actions": _chained([*_test_queue_substitutes(recording.flow), *actions]),
    }


TEST_QUEUE_ACTION = "use-test-queue"


def _override(
    identifier: str, action_type: str, parameters: dict[str, Any], strategy: dict[str, Any]
) -> dict[str, Any]:
    """An `OverrideSystemBehavior` action on a flow action (`Transitions` are set by `_chained`)."""
    return {
        "Identifier": identifier,
        "Type": "OverrideSystemBehavior",
        "Parameters": {
            "ActionType": "OverrideSystemBehavior",
            "Behavior": {
                "Type": "FlowAction",
                "Properties": {
                    "ActionType": action_type,
                    "ActionParameters": parameters,
                    "Strategy": strategy,
                },
            },
        },
    }


def _test_queue_substitutes(flow: str) -> list[dict[str, Any]]:
    """One `{{queue:test}}` substitute per queue transfer the flow (and the flows it names) holds:
    what the tests' stack requires before it deploys a case that could reach a live agent."""
    flows = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in FLOWS_DIR.glob("*.json")}
    substitutes: list[dict[str, Any]] = []
    for flow_type, count in sorted(transfers_reachable(flow, flows, flow).items()):
        for _ in range(count):
            number = len(substitutes) + 1
            substitutes.append(
                _override(
                    TEST_QUEUE_ACTION if number == 1 else f"{TEST_QUEUE_ACTION}-{number}",
                    QUEUE_TRANSFERS[flow_type],
                    {},
                    {"Type": "SubstituteResource", "SubstituteArn": f"{{{{queue:{TEST_QUEUE_NAMES[0]}}}}}"},
                )
            )
    return substitutes


def _observation(index: int, event: _Event, instruction: _Event | None, language: str) -> dict[str, Any]:
    identifier = f"{index:02d}-{event.action or event.kind}"
    actions: list[dict[str, Any]] = []
    if event.kind == "prompt":
        properties: dict[str, Any] = {"Text": event.value, "MatchingCriteria": {"Type": "Inclusion"}}
        event_type = "MessageReceived"
        if instruction is not None and instruction.value:
            actions.append(_instruction(identifier, instruction, language))
    elif event.kind == "lambda":
        event_type = "FlowActionStarted"
        properties = {
            "ActionType": "InvokeLambdaFunction",
            "ActionParameters": {"LambdaFunctionARN": _lambda(event.value)},
        }
    else:  # a queue transfer
        event_type = "FlowActionStarted"
        properties = {
            "ActionType": "TransferContactToQueue",
            "ActionParameters": {"QueueId": f"{{{{queue:{event.value}}}}}"},
        }
        actions.append(
            {
                "Identifier": f"{identifier}-queue",
                "Type": "Assert",
                "Parameters": {"Namespace": "$.Queue.Name", "Operator": "Equals", "Operand": event.value},
            }
        )
    return {
        "Identifier": identifier,
        "Event": {
            "Identifier": f"evt-{identifier}",
            "Type": event_type,
            "Actor": "System",
            "Properties": properties,
        },
        "Actions": _chained(actions),
    }


def _instruction(identifier: str, given: _Event, language: str) -> dict[str, Any]:
    if given.speech:
        instruction: dict[str, Any] = {
            "Type": "TextUtterance",
            "Properties": {"Text": given.value, "LanguageCode": language},
        }
    else:
        instruction = {"Type": "DtmfInput", "Properties": {"Value": given.value}}
    return {
        "Identifier": f"{identifier}-say" if given.speech else f"{identifier}-press",
        "Type": "SendInstruction",
        "Parameters": {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": instruction},
    }


def _completed(result: SimulationResult) -> dict[str, Any]:
    actions = []
    outcome = result.attributes.get(OUTCOME_ATTRIBUTE)
    if outcome:
        actions.append(
            {
                "Identifier": "outcome",
                "Type": "Assert",
                "Parameters": {
                    "Namespace": f"$.Attributes.{OUTCOME_ATTRIBUTE}",
                    "Operator": "Equals",
                    "Operand": outcome,
                },
            }
        )
    return {
        "Identifier": "completed",
        "Event": {
            "Identifier": "evt-completed",
            "Type": "TestCompleted",
            "Actor": "System",
            "Properties": {},
        },
        "Actions": _chained(actions),
    }


def _chained(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`actions` linked in order through `Transitions.NextAction` ("" after the last)."""
    for index, current in enumerate(actions):
        following = actions[index + 1]["Identifier"] if index + 1 < len(actions) else ""
        current["Transitions"] = {"NextAction": following}
    return actions


def _lambda(function: str) -> str:
    return f"{{{{lambda:{function}}}}}"


def date_free(text: str) -> str:
    """`text`, or when it names a date, its part before the first date (after it, when nothing
    comes before): an expected text that holds on any day."""
    found = _DATE.search(text)
    if found is None:
        return text
    before, after = text[: found.start()].strip(), text[found.end() :].strip(" .,:;")
    return before or after
