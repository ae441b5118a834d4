"""How one simulated contact is set up: who calls, what they say, the hours, the queue, the faults.

`SimulationConfig` is the one object that configures the engine; its defaults are a caller on a
quiet weekday morning with nothing to say. It checks itself when made, so a bad value is one line
before any sandbox work starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[3]
FLOWS_DIR = REPO / "flows"
DEFAULT_CALLER = "+12025550101"
OPEN_MOMENT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 America/New_York
CLOSED_MOMENT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Monday 22:00 America/New_York
MAX_STEPS = 500
MAX_VISITS = 120  # per action; above Loop's largest LoopCount (100)

Hours = Literal["open", "closed"]
LambdaFault = Literal["error", "timeout", "invalid"]
LAMBDA_FAULTS: tuple[LambdaFault, ...] = ("error", "timeout", "invalid")
# A caller model: (flow name, action id, prompt heard) → key(s) or words, "" for silence, None for
# nothing (the block times out). Asked once the scripted inputs have run out.
Responder = Callable[[str, str, str], "str | None"]

FlowEventKind = Literal["started", "prompt", "action"]


@dataclass(frozen=True)
class FlowEvent:
    """Something a harness can observe: the contact starting, a prompt played (`text`, `to` the
    customer or the agent), or one of OBSERVED_ACTIONS starting (`parameters` resolved as Connect
    reports them). `namespace` is the contact's live namespaces ($.Attributes, $.External ...)."""

    kind: FlowEventKind
    flow: str
    action: str
    action_type: str
    namespace: Mapping[str, Any]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    to: str = "customer"


@dataclass(frozen=True)
class Override:
    """What replaces a flow action's own behaviour (Connect's OverrideSystemBehavior):
    "result" (a Lambda's or bot's `data`; hours: `value` InHours or OutOfHours), "error" (`value`
    names the error, e.g. NoMatchingError, QueueAtCapacity) or "substitute" (`value`: the ARN used
    instead)."""

    strategy: Literal["result", "error", "substitute"]
    value: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


# A harness watching the contact; it may raise EndContact to end it (the caller hangs up, the test ends).
Observer = Callable[[FlowEvent], None]
# Asked as one of OVERRIDABLE_ACTIONS starts: (action type, resolved parameters) → an Override or None.
OverrideSource = Callable[[str, Mapping[str, Any]], "Override | None"]


class EndContact(Exception):
    """Raised by an observer or a responder to end the contact now; the message says why."""


@dataclass(frozen=True)
class SimulationConfig:
    """One contact's setup; see the `tandem.flows.simulator` docstring for what each part models.

    `inputs` are consumed in order by input blocks ("" is silence); `queue_wait_seconds` None is a
    quiet queue; `settings` answer `{{setting:x}}` ("" when absent); `at` overrides the open or
    closed moment the handlers' clock is set to; `lambda_faults` names functions whose blocks fail
    ("error", "timeout" or "invalid"); `block_faults` names blocks ("<flow>/<action id>") that take
    an error branch instead of running (the branch's ErrorType, or "" for the block's NoMatchingError);
    `attributes` are the contact's attributes when it arrives;
    `observer` and `override` let a test harness watch the contact and replace flow actions'
    behaviour (see FlowEvent, Override).
    """

    caller: str = DEFAULT_CALLER
    inputs: Sequence[str] = ()
    hours: Hours = "open"
    queue_wait_seconds: int | None = None
    channel: str = "VOICE"
    language: str = "en-US"
    flows_dir: Path = FLOWS_DIR
    max_steps: int = MAX_STEPS
    max_visits: int = MAX_VISITS
    settings: Mapping[str, str] = field(default_factory=dict)
    at: datetime | None = None
    responder: Responder | None = None
    lambda_faults: Mapping[str, LambdaFault] = field(default_factory=dict)
    block_faults: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    observer: Observer | None = None
    override: OverrideSource | None = None

    def __post_init__(self) -> None:
        if self.hours not in ("open", "closed"):
            raise ValueError(f"hours must be 'open' or 'closed', not {self.hours!r}")
        for function, fault in self.lambda_faults.items():
            if fault not in LAMBDA_FAULTS:
                raise ValueError(
                    f"lambda_faults[{function!r}] is {fault!r}, not one of {', '.join(LAMBDA_FAULTS)}"
                )
        for block in self.block_faults:
            flow, _, action = block.partition("/")
            if not flow or not action:
                raise ValueError(f"block_faults: {block!r} is not <flow>/<action id>")

    @property
    def moment(self) -> datetime:
        """When the contact happens: `at`, or the open or closed moment for `hours`."""
        return self.at or (OPEN_MOMENT if self.hours == "open" else CLOSED_MOMENT)
