"""What a matched observation's actions do, locally.

- `SendInstruction`: DtmfInput and TextUtterance queue the customer's next answer; the next input
  block that asks gets it (an input block that asks with nothing queued hears silence and times
  out, as the service's would). Disconnect: the customer hangs up when the contact next asks for
  input or reaches an observed event.
- `OverrideSystemBehavior`: registered, then consumed single-use, first in first out per resource,
  by the next matching flow action (`Effects.take_override`); ActionParameters given must name the
  same resource, none given matches any.
- `Assert`: checked at once against the contact's namespaces; a failed assertion fails the test
  and ends it (later observations would only fail in its wake).
- `TestControl`: EndTest ends the test where it is; LogData adds labelled values to the result.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowdoc.jsonpath import as_text, lookup, segments
from flowdoc.testcase import Action, Observation, mock_result
from tandem.flows.simulator import Override
from tandem.flows.simulator.flows import matches as condition_holds
from tandem.flows.simulator.flows import to_number
from tandem.flowtest.events import same_resource

DISCONNECT = "\x00disconnect"  # queued like an answer; the harness hangs up when it comes round


@dataclass
class Effects:
    """What the actions have asked for so far."""

    inputs: deque[str] = field(default_factory=deque)
    overrides: list[tuple[str, Mapping[str, Any], Override]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    logged: dict[str, str] = field(default_factory=dict)
    end: str = ""  # why the test ends now ("" while it goes on)

    def take_override(self, action_type: str, parameters: Mapping[str, Any]) -> Override | None:
        for index, (target, wanted, override) in enumerate(self.overrides):
            if target == action_type and all(same_resource(v, parameters.get(k)) for k, v in wanted.items()):
                del self.overrides[index]
                return override
        return None


def run_actions(observation: Observation, effects: Effects, namespace: Mapping[str, Any]) -> list[str]:
    """Run an observation's actions in order; a note per action."""
    notes = []
    for action in observation.actions:
        notes.append(_run(action, observation, effects, namespace))
        if effects.end:
            break
    return notes


def _run(action: Action, observation: Observation, effects: Effects, namespace: Mapping[str, Any]) -> str:
    parameters = action.parameters
    if action.type == "SendInstruction":
        instruction = parameters["Instruction"]
        properties = instruction.get("Properties") or {}
        if instruction["Type"] == "DtmfInput":
            effects.inputs.append(str(properties["Value"]))
            return f"send DTMF {properties['Value']}"
        if instruction["Type"] == "TextUtterance":
            text = str(properties.get("Text", properties.get("SSML", "")))
            effects.inputs.append(text)
            return f'say "{text}"'
        effects.inputs.append(DISCONNECT)
        return "disconnect"
    if action.type == "OverrideSystemBehavior":
        return _register(action, observation, effects)
    if action.type == "Assert":
        return _assert(action, observation, effects, namespace)
    command = parameters["Command"]
    if command["Type"] == "EndTest":
        effects.end = f"EndTest at observation {observation.identifier!r}"
        return "end test"
    for label, path in command["Properties"]["Expressions"].items():
        effects.logged[str(label)] = as_text(lookup(namespace, path))
    return "log " + ", ".join(command["Properties"]["Expressions"])


def _register(action: Action, observation: Observation, effects: Effects) -> str:
    properties = action.parameters["Behavior"]["Properties"]
    target = str(properties["ActionType"])
    strategy = properties["Strategy"]
    if strategy["Type"] == "SubstituteResource":
        override = Override("substitute", str(strategy["SubstituteArn"]))
    else:
        where = f"observation {observation.identifier!r}, action {action.identifier!r}"
        kind, value, data = mock_result(target, strategy["Response"], where)
        override = Override("result" if kind == "result" else "error", value, data)
    effects.overrides.append((target, dict(properties.get("ActionParameters") or {}), override))
    return f"override {target}: {override.strategy} {override.value}".rstrip()


def _assert(action: Action, observation: Observation, effects: Effects, namespace: Mapping[str, Any]) -> str:
    path, operator = str(action.parameters["Namespace"]), str(action.parameters["Operator"])
    operand = action.parameters.get("Operand")
    keys = segments(path)
    if not keys or keys[0] not in namespace:
        known = ", ".join(f"$.{k}" for k in namespace)
        verdict, actual = False, f"no namespace {path} (known: {known})"
    else:
        value = lookup(namespace, path)
        actual = "(missing)" if value is None else as_text(value)
        verdict = check(operator, operand, value)
    shown = f"{path} {operator}" + ("" if operator == "Exists" else f" {json.dumps(operand)}")
    if verdict:
        return f"assert {shown}: ok"
    effects.failures.append(
        f"observation {observation.identifier!r}, action {action.identifier!r}: "
        f"assert {shown} failed; actual {actual}"
    )
    effects.end = f"assertion failed at observation {observation.identifier!r}"
    return f"assert {shown}: FAILED (actual {actual})"


def check(operator: str, operand: Any, value: Any) -> bool:
    """Whether `value` satisfies an Assert; numbers compare as numbers, the rest as text."""
    if operator == "Exists":
        return value is not None and value != ""
    if value is None:
        return False
    text = as_text(value)
    if operator == "Equals":
        expected = as_text(operand)
        number, wanted = to_number(text), to_number(expected)
        return text == expected or (number is not None and wanted is not None and number == wanted)
    return bool(condition_holds(operator, [as_text(operand)], text))
