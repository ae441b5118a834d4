"""Building test-case documents in Connect's testing language for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tandem.flowtest import RunOptions, TestResult, parse, run_case


def observation(
    identifier: str,
    event: dict[str, Any],
    actions: list[dict[str, Any]] | None = None,
    following: list[str] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    built: dict[str, Any] = {
        "Identifier": identifier,
        "Event": {"Identifier": f"evt-{identifier}", "Actor": "System", **event},
        "Actions": actions or [],
        "Transitions": {"NextObservations": following or []},
    }
    if usage is not None:
        built["Usage"] = usage
    return built


def initiated() -> dict[str, Any]:
    return {"Type": "TestInitiated", "Properties": {}}


def completed() -> dict[str, Any]:
    return {"Type": "TestCompleted", "Properties": {}}


def message(text: str, how: str = "Inclusion") -> dict[str, Any]:
    return {"Type": "MessageReceived", "Properties": {"Text": text, "MatchingCriteria": {"Type": how}}}


def started(action_type: str, **parameters: Any) -> dict[str, Any]:
    return {
        "Type": "FlowActionStarted",
        "Properties": {"ActionType": action_type, "ActionParameters": parameters},
    }


def dtmf(identifier: str, value: str, following: str = "") -> dict[str, Any]:
    return instruction(identifier, {"Type": "DtmfInput", "Properties": {"Value": value}}, following)


def instruction(identifier: str, given: dict[str, Any], following: str = "") -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": "SendInstruction",
        "Parameters": {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": given},
        "Transitions": {"NextAction": following},
    }


def check(
    identifier: str, namespace: str, operator: str, operand: Any = None, following: str = ""
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"Namespace": namespace, "Operator": operator}
    if operand is not None:
        parameters["Operand"] = operand
    return {
        "Identifier": identifier,
        "Type": "Assert",
        "Parameters": parameters,
        "Transitions": {"NextAction": following},
    }


def control(identifier: str, command: dict[str, Any], following: str = "") -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": "TestControl",
        "Parameters": {"ActionType": "TestControl", "Command": command},
        "Transitions": {"NextAction": following},
    }


def end_test(identifier: str = "end") -> dict[str, Any]:
    return control(identifier, {"Type": "EndTest"})


def override(
    identifier: str, action_type: str, strategy: dict[str, Any], following: str = "", **parameters: Any
) -> dict[str, Any]:
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
        "Transitions": {"NextAction": following},
    }


def mock_result(loaded: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "MockResponse",
        "Response": {
            "Type": "ExecutionResult",
            "ExecutionResult": {"DelaySeconds": 0, "LoadedData": json.dumps(loaded)},
        },
    }


def mock_value(value: str) -> dict[str, Any]:
    return {
        "Type": "MockResponse",
        "Response": {"Type": "ExecutionResult", "ExecutionResult": {"Value": value}},
    }


def mock_error(value: str) -> dict[str, Any]:
    return {"Type": "MockResponse", "Response": {"Type": "Error", "Error": {"Value": value}}}


def substitute(arn: str) -> dict[str, Any]:
    return {"Type": "SubstituteResource", "SubstituteArn": arn}


def document(
    *observations: dict[str, Any], version: str = "2025-06-21", metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"Version": version, "Metadata": metadata or {}, "Observations": list(observations)}


def wrapper(
    content: dict[str, Any] | str,
    *,
    flow: str = "{{flow:inbound_main}}",
    caller: str = "+12025550101",
    name: str = "case",
    attributes: str | None = None,
) -> dict[str, Any]:
    built: dict[str, Any] = {
        "Name": name,
        "EntryPoint": {
            "Type": "VOICE_CALL",
            "VoiceCallEntryPointParameters": {"SourcePhoneNumber": caller, "FlowId": flow},
        },
        "Content": content,
    }
    if attributes is not None:
        built["InitializationData"] = attributes
    return built


def run(raw: dict[str, Any], *, options: RunOptions | None = None, name: str = "case.json") -> TestResult:
    return run_case(parse(raw, Path(name)), options or RunOptions())
