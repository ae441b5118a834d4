"""Which transitions of a flow no test case can take, and why: the honest denominator of coverage.

Transition coverage counts every branch a flow names, (action, branch). Some of them no test case
can drive in the cloud (some of those a local-only case can, with `Metadata.Tandem.Faults`),
because the testing language overrides only Lambdas, hours
checks, Lex bots and queue transfers, and the other blocks do not fail on demand:

- `fails-only-on-service-fault`: the error branch of a block that fails only when Connect itself
  does (play a prompt, set attributes or flow attributes, set event hooks or the voice, read queue
  metrics, transfer to a flow that exists, set a working queue or create a callback with a queue
  named by a placeholder);
- `default-never-taken`: the NextAction of a block whose every outcome has its own branch (a
  Compare, an input block or a Lex bot with a NoMatchingCondition branch, a Loop with both loop branches, an
  hours check with both True and False);
- `transfer-ends-flow`: the NextAction of a transfer to a queue or a flow, which ends the flow when
  it succeeds (a failed one takes an error branch);
- `not-modelled`: outcomes the simulator produces only as a local block fault (a callback number
  Connect finds undialable: no valid entry point's number is one);
- `behind-undrivable`: every transition of an action reached only through the above.

`undrivable(actions, start)` answers {(action, branch): reason}; `drivable_ratio` is coverage over
the rest. The rules read each action's type and parameters, never its identifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tandem.flows.simulator.flows import NEXT, NO_MATCHING_CONDITION, NO_MATCHING_ERROR, branches

NEVER_FAIL_TYPES = frozenset(
    {
        "MessageParticipant",
        "UpdateContactAttributes",
        "UpdateFlowAttributes",
        "UpdateContactEventHooks",
        "UpdateContactTextToSpeechVoice",
        "GetMetricData",
        "TransferToFlow",
    }
)
# Blocks that fail only when the queue they are given does not resolve: a placeholder always does.
QUEUE_GIVEN_TYPES = frozenset({"UpdateContactTargetQueue", "CreateCallbackContact"})
REASONS = {
    "fails-only-on-service-fault": (
        "fails only when Connect itself does; no cloud test can cause it (a local block fault can)"
    ),
    "default-never-taken": "every outcome of the block has its own branch, so NextAction is never taken",
    "transfer-ends-flow": "a transfer that succeeds ends the flow; a failed one takes an error branch",
    "not-modelled": "no valid entry point produces it in the cloud (a local block fault can)",
    "behind-undrivable": "the action is reached only through branches no test can take",
}

Transition = tuple[str, str]


def undrivable(actions: Iterable[Mapping[str, Any]], start: str) -> dict[Transition, str]:
    """Transitions of the flow (its `Actions` and `StartAction`) no test case can take, with the
    reason's key (see REASONS)."""
    by_id = {str(a.get("Identifier")): a for a in actions}
    found: dict[Transition, str] = {}
    for identifier, action in by_id.items():
        for branch, _ in branches(dict(action)):
            reason = _reason(action, branch)
            if reason:
                found[(identifier, branch)] = reason
    reached = _reached(by_id, start, found)
    for identifier, action in by_id.items():
        if identifier not in reached:
            for branch, _ in branches(dict(action)):
                found.setdefault((identifier, branch), "behind-undrivable")
    return found


def _reason(action: Mapping[str, Any], branch: str) -> str:
    kind = str(action.get("Type", ""))
    parameters = action.get("Parameters") if isinstance(action.get("Parameters"), dict) else {}
    assert isinstance(parameters, dict)
    labels = {b for b, _ in branches(dict(action))}
    if branch == NO_MATCHING_ERROR:
        if kind in NEVER_FAIL_TYPES:
            return "fails-only-on-service-fault"
        if kind in QUEUE_GIVEN_TYPES and _is_placeholder(parameters.get("QueueId")):
            return "fails-only-on-service-fault"
        return ""
    if branch == NEXT:
        if (
            kind in ("Compare", "GetParticipantInput", "ConnectParticipantWithLexBot")
            and NO_MATCHING_CONDITION in labels
        ):
            return "default-never-taken"
        if kind == "Loop" and {"Equals ContinueLooping", "Equals DoneLooping"} <= labels:
            return "default-never-taken"
        if kind == "CheckHoursOfOperation" and {"Equals True", "Equals False"} <= labels:
            return "default-never-taken"
        if kind in ("TransferContactToQueue", "TransferToFlow"):
            return "transfer-ends-flow"
        return ""
    if kind == "UpdateContactCallbackNumber" and branch == "CallbackNumberNotDialable":
        return "not-modelled"
    return ""


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{{") and value.endswith("}}")


def _reached(
    by_id: Mapping[str, Mapping[str, Any]], start: str, blocked: Mapping[Transition, str]
) -> set[str]:
    """Actions reachable from `start` along transitions a test can take."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        identifier = todo.pop()
        if identifier in seen or identifier not in by_id:
            continue
        seen.add(identifier)
        for branch, target in branches(dict(by_id[identifier])):
            if (identifier, branch) not in blocked:
                todo.append(target)
    return seen


def drivable_ratio(
    transitions: frozenset[Transition], taken: set[Transition], blocked: Mapping[Transition, str]
) -> tuple[int, int]:
    """(taken, drivable): the transitions taken and those a test can take, out of `transitions`."""
    drivable = transitions - set(blocked)
    return len(taken & drivable), len(drivable)
