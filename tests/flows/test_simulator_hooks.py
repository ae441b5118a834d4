"""The simulator's test-harness hooks: what the observer sees, overrides, ending a contact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tandem.flows.simulator import EndContact, FlowEvent, Override, SimulationConfig, simulate
from tandem.local import Sandbox


def test_the_observer_sees_the_start_prompts_and_observed_actions_in_order(box: Sandbox) -> None:
    seen: list[FlowEvent] = []
    simulate("inbound_main", box=box, config=SimulationConfig(inputs=["0"], observer=seen.append))
    kinds = [(e.kind, e.action_type or e.text[:20]) for e in seen]
    assert kinds[0] == ("started", "")
    assert kinds[1] == ("action", "InvokeLambdaFunction")
    assert seen[1].parameters == {
        "LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:crm_lookup"
    }
    assert ("prompt", "MessageParticipant") in [(e.kind, e.action_type) for e in seen]
    transfer = next(e for e in seen if e.action_type == "TransferContactToQueue")
    assert transfer.parameters["QueueId"].endswith("/queue/queue-general")
    assert any(e.to == "agent" for e in seen if e.kind == "prompt")  # the whisper


def test_overrides_replace_the_handler_and_each_is_asked_as_the_action_starts(box: Sandbox) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    def override(action_type: str, parameters: Mapping[str, Any]) -> Override | None:
        asked.append((action_type, dict(parameters)))
        if parameters.get("LambdaFunctionARN", "").endswith(":crm_lookup"):
            return Override("result", data={"customerFound": "true", "firstName": "Zoe"})
        if action_type == "TransferContactToQueue":
            return Override("error", "QueueAtCapacity")
        return None

    result = simulate("inbound_main", box=box, config=SimulationConfig(inputs=["0", ""], override=override))
    assert result.heard[0] == "Hello Zoe, thanks for calling."
    assert result.lambda_calls[0].mocked and result.lambda_calls[0].response == {
        "customerFound": "true",
        "firstName": "Zoe",
    }
    transfer = next(s for s in result.steps if s.type == "TransferContactToQueue")
    assert transfer.branch == "QueueAtCapacity" and "check-callback-possible" in result.path()
    assert [a for a, _ in asked].count("TransferContactToQueue") == 1


def test_an_observer_ending_the_contact_stops_it_there(box: Sandbox) -> None:
    def hang_up(event: FlowEvent) -> None:
        if event.kind == "prompt":
            raise EndContact("the caller hung up")

    result = simulate("inbound_main", box=box, config=SimulationConfig(observer=hang_up))
    assert result.ended == "the caller hung up"
    assert result.completed and result.heard == ["Hello Ana, thanks for calling."]
    assert [c.function for c in result.lambda_calls] == ["crm_lookup"]


@pytest.mark.parametrize(("value", "branch"), [("InHours", "Equals True"), ("OutOfHours", "Equals False")])
def test_mocked_hours(box: Sandbox, value: str, branch: str) -> None:
    def override(action_type: str, parameters: Mapping[str, Any]) -> Override | None:
        if parameters.get("LambdaFunctionARN", "").endswith(":escalation"):
            return Override("error", "NoMatchingError")
        return Override("result", value) if action_type == "CheckHoursOfOperation" else None

    result = simulate("inbound_main", box=box, config=SimulationConfig(inputs=["0"], override=override))
    step = next(s for s in result.steps if s.type == "CheckHoursOfOperation")
    assert step.branch == branch and f"mocked {value}" in step.note


def test_initial_attributes(box: Sandbox) -> None:
    result = simulate("inbound_main", box=box, config=SimulationConfig(attributes={"campaign": "winter"}))
    assert result.attributes["campaign"] == "winter"
