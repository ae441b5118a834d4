"""What a simulation produces: the steps, Lambda calls and prompts, the outcome, branch coverage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("self-served", "queued", "callback", "closed", "disconnected", "error")
OUTCOME_ATTRIBUTE = "tandemOutcome"
CLAIMED_OUTCOMES = {
    "SELF_SERVED": "self-served",
    "QUEUED": "queued",
    "CALLBACK": "callback",
    "CLOSED": "closed",
}


@dataclass(frozen=True)
class Step:
    flow: str
    action: str
    type: str
    branch: str  # "NextAction", a condition ("Equals 1"), an ErrorType, or "" where the flow ends
    note: str = ""
    said: str | None = None  # an input block: the key(s) or words the caller gave, "" for none


@dataclass(frozen=True)
class LambdaCall:
    flow: str
    action: str
    function: str
    parameters: dict[str, Any]
    response: Any  # what the handler returned (None when it raised or was not found)
    error: str = ""  # why the block took NoMatchingError, "" when it did not
    mocked: bool = False  # a harness answered for the handler (Override "result"); it was not called


@dataclass(frozen=True)
class Prompt:
    flow: str
    action: str
    text: str
    to: str = "customer"  # "agent" for whisper flows


@dataclass
class FlowCoverage:
    """Transitions of one flow (action id, branch) and the ones taken."""

    transitions: frozenset[tuple[str, str]]
    taken: set[tuple[str, str]] = field(default_factory=set)

    @property
    def ratio(self) -> float:
        return len(self.taken) / len(self.transitions) if self.transitions else 1.0

    @property
    def missed(self) -> list[tuple[str, str]]:
        return sorted(self.transitions - self.taken)

    def __str__(self) -> str:
        return f"{len(self.taken)}/{len(self.transitions)} ({self.ratio:.0%})"


def merge_coverage(*runs: SimulationResult | Mapping[str, FlowCoverage]) -> dict[str, FlowCoverage]:
    """Coverage over several runs: per flow, the union of the transitions taken."""
    merged: dict[str, FlowCoverage] = {}
    for run in runs:
        coverage = run.coverage if isinstance(run, SimulationResult) else run
        for name, flow in coverage.items():
            into = merged.setdefault(name, FlowCoverage(flow.transitions))
            into.transitions = into.transitions | flow.transitions
            into.taken |= flow.taken
    return merged


@dataclass
class SimulationResult:
    flow: str
    contact_id: str
    steps: list[Step]
    lambda_calls: list[LambdaCall]
    prompts: list[Prompt]
    outcome: str  # one of OUTCOMES
    queue: str  # the queue's name (the callback's queue for a callback), "" when none
    priority: int | None  # routing priority when queued or called back
    attributes: dict[str, str]
    warnings: list[str]
    coverage: dict[str, FlowCoverage]
    stopped: str = ""  # why a guard stopped the run; "" when it completed
    callback_number: str = ""
    hooks: dict[str, str] = field(default_factory=dict)
    inputs_left: list[str] = field(default_factory=list)
    ended: str = ""  # why an observer or responder ended the contact (EndContact); "" when it did not

    @property
    def completed(self) -> bool:
        return not self.stopped and self.outcome != "error"

    @property
    def heard(self) -> list[str]:
        """What the caller heard, in order."""
        return [p.text for p in self.prompts if p.to == "customer"]

    @property
    def whispered(self) -> list[str]:
        """What the agent heard before the conversation."""
        return [p.text for p in self.prompts if p.to == "agent"]

    def path(self, flow: str | None = None) -> list[str]:
        """The action ids visited, in order (of one flow when named)."""
        return [s.action for s in self.steps if flow is None or s.flow == flow]

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "contactId": self.contact_id,
            "outcome": self.outcome,
            "queue": self.queue,
            "priority": self.priority,
            "stopped": self.stopped,
            "steps": [s.__dict__ for s in self.steps],
            "lambdaCalls": [c.__dict__ for c in self.lambda_calls],
            "prompts": [p.__dict__ for p in self.prompts],
            "attributes": self.attributes,
            "callbackNumber": self.callback_number,
            "hooks": self.hooks,
            "warnings": self.warnings,
            "inputsLeft": self.inputs_left,
            "ended": self.ended,
            "coverage": {
                name: {
                    "taken": len(c.taken),
                    "transitions": len(c.transitions),
                    "ratio": round(c.ratio, 4),
                    "missed": [f"{a} → {b}" for a, b in c.missed],
                }
                for name, c in self.coverage.items()
            },
        }
