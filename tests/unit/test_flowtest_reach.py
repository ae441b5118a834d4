"""Which transitions no test case can take: the rules on small flows, and the repo's flows."""

from __future__ import annotations

import json
from typing import Any

from tandem.flowtest.reach import REASONS, drivable_ratio, undrivable
from tests.conftest import REPO


def _action(identifier: str, kind: str, next_action: str | None = None, **extra: Any) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    transitions.update(extra.pop("transitions", {}))
    return {
        "Identifier": identifier,
        "Type": kind,
        "Parameters": extra.pop("parameters", {}),
        "Transitions": transitions,
    }


def _errors(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"Errors": [{"ErrorType": e, "NextAction": t} for e, t in pairs]}


def test_error_branches_of_blocks_no_test_can_fail_are_undrivable_and_lambda_errors_are_not() -> None:
    actions = [
        _action("say", "MessageParticipant", "call", transitions=_errors(("NoMatchingError", "call"))),
        _action("call", "InvokeLambdaFunction", "end", transitions=_errors(("NoMatchingError", "end"))),
        _action("end", "DisconnectParticipant"),
    ]
    found = undrivable(actions, "say")
    assert found == {("say", "NoMatchingError"): "fails-only-on-service-fault"}


def test_a_default_with_every_outcome_branched_is_never_taken_and_what_lies_only_behind_it() -> None:
    conditions = [{"NextAction": "yes", "Condition": {"Operator": "Equals", "Operands": ["1"]}}]
    actions = [
        _action(
            "compare",
            "Compare",
            "orphan",
            transitions={"Conditions": conditions, **_errors(("NoMatchingCondition", "end"))},
        ),
        _action("yes", "TransferContactToQueue", "orphan", transitions=_errors(("QueueAtCapacity", "end"))),
        _action("orphan", "DisconnectParticipant"),
        _action("end", "DisconnectParticipant"),
    ]
    found = undrivable(actions, "compare")
    assert found[("compare", "NextAction")] == "default-never-taken"
    assert found[("yes", "NextAction")] == "transfer-ends-flow"
    assert ("compare", "Equals 1") not in found and ("yes", "QueueAtCapacity") not in found
    # "orphan" has no branches of its own; a branching action behind it would be behind-undrivable.
    assert set(found.values()) <= set(REASONS)


def test_a_queue_named_by_an_attribute_can_fail_one_named_by_a_placeholder_cannot() -> None:
    actions = [
        _action(
            "a",
            "UpdateContactTargetQueue",
            "b",
            parameters={"QueueId": "$.Attributes.queueArn"},
            transitions=_errors(("NoMatchingError", "b")),
        ),
        _action(
            "b",
            "UpdateContactTargetQueue",
            "c",
            parameters={"QueueId": "{{queue:general}}"},
            transitions=_errors(("NoMatchingError", "c")),
        ),
        _action("c", "MessageParticipant", "d"),
        _action("d", "MessageParticipant", "e"),
        _action("e", "DisconnectParticipant"),
    ]
    found = undrivable(actions, "a")
    assert ("a", "NoMatchingError") not in found
    assert found[("b", "NoMatchingError")] == "fails-only-on-service-fault"


def test_behind_undrivable_covers_every_branch_of_an_action_reached_only_through_them() -> None:
    actions = [
        _action("say", "MessageParticipant", "end", transitions=_errors(("NoMatchingError", "fallback"))),
        _action("fallback", "MessageParticipant", "end", transitions=_errors(("NoMatchingError", "end"))),
        _action("end", "DisconnectParticipant"),
    ]
    found = undrivable(actions, "say")
    assert found[("fallback", "NextAction")] == "behind-undrivable"


def test_drivable_ratio_counts_only_what_a_test_can_take() -> None:
    transitions = frozenset({("a", "NextAction"), ("a", "NoMatchingError"), ("b", "NextAction")})
    assert drivable_ratio(transitions, {("a", "NextAction")}, {("a", "NoMatchingError"): "x"}) == (1, 2)


def test_the_repo_flows_undrivable_counts() -> None:
    # Pinned so a flow change that adds or removes untestable branches is noticed (docs/testing-flows.md).
    counts = {}
    for name in ("inbound_main", "customer_queue", "agent_whisper", "post_call_survey"):
        flow = json.loads((REPO / "flows" / f"{name}.json").read_text(encoding="utf-8"))
        counts[name] = len(undrivable(flow["Actions"], flow["StartAction"]))
    assert counts == {"inbound_main": 68, "customer_queue": 17, "agent_whisper": 1, "post_call_survey": 9}
