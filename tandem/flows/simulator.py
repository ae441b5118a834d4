"""Run an Amazon Connect flow locally, against the real handlers in the sandbox.

`simulate("inbound_main", box=box, inputs=["1", "1"])` walks a flow-language document the way
Connect would for one contact: it resolves the repo's `{{type:name}}` placeholders to local fakes,
keeps the contact's namespaces (`$.Attributes`, `$.FlowAttributes`, `$.External`, `$.Lex`,
`$.Metrics`, `$.StoredCustomerInput`, `$.Queue`, system values), calls the real Lambda handlers
through `box.invoke` with the event Connect would send, feeds scripted caller input to DTMF and
(fake) Lex blocks, follows transfers into other flows and runs the hook flows a contact meets
(customer queue, agent whisper, customer remaining). It records every step, Lambda call and
prompt, and which transitions were taken (branch coverage).

What is modelled, and how (the flow-language facts are in docs/connect-facts.md §2):

- Placeholders: `{{lambda:x}}` → a Lambda ARN whose function name is x (called as `box.invoke(x)`);
  `{{queue:x}}` → `box.queue_arns[x]`; `{{flow:x}}` → a flow ARN whose id is x, read from
  `flows_dir/x.json`; `{{hours:x}}` → a fake hours id; `{{setting:x}}` → `settings[x]`, "" when not
  given (locally no Lex bot is configured, so flows take their DTMF path).
- Lambda blocks take `NoMatchingError` when the function is not a sandbox handler, raises, runs
  past `InvocationTimeLimitSeconds`, answers something `ResponseValidation` refuses (a flat string
  map for STRING_MAP, the default) or answers 32 KB or more. Connect's retries are not modelled.
- Lambda faults: `lambda_faults` ({function: "error" | "timeout" | "invalid"}) makes a function's
  blocks fail on purpose. "error": the block takes `NoMatchingError` as if the handler raised (it
  is not called); "timeout": the handler runs, then its answer is dropped as if it had run past
  `InvocationTimeLimitSeconds` (nothing sleeps); "invalid": the handler runs, then its answer
  gains a nested map (for a JSON block: is wrapped in a list), which `ResponseValidation` refuses.
  The LambdaCall's `error` says why, marked "(injected)".
- Caller input is a list of strings consumed in order by GetParticipantInput (a key, or digits
  when StoreInput is True) and ConnectParticipantWithLexBot (an utterance). "" is silence: the
  block times out, as it does when the script has run out, unless a `responder` (a caller
  model: flow, action id and prompt → an answer) is given; it answers once the list is used up.
- Lex is FAKE (`tandem.flows.fake_lex`): a keyword table picks the intent and sentiment. A Lex
  block whose bot alias resolves to "" takes `NoMatchingError`.
- Hours: CheckHoursOfOperation answers from `hours`; the handlers' clock is set to a fixed open
  (Monday 2026-11-23 10:00 New York) or closed (22:00) moment, or to `at`.
- Queue load: `queue_wait_seconds` None is a quiet queue; a number is a queue whose estimated wait
  (escalation's estimate) is that many seconds. GetMetricData/CheckMetricData read it, and every
  sandbox queue reports it to escalation's GetCurrentMetricData (`box.queue_metrics`).
- TransferContactToQueue ends the flow with the contact queued. Then, when a CustomerQueue hook
  is set and `queue_wait_seconds` is given, the hook flow runs as the wait: a callback may come
  of it. The caller answers one request for input there (`QUEUE_FLOW_ASKS`); an agent picks up
  before the flow asks again, or once it has looped `QUEUE_FLOW_VISITS` times. A caller still
  queued then reaches an agent: the AgentWhisper hook runs (its prompts go to the
  agent), and after the conversation (the agent hangs up, the caller stays on the line) the
  CustomerRemaining hook (the post-call survey) runs with the inputs left. DisconnectParticipant
  hangs up on the caller, so no hook runs after it. Each hook runs at most once per contact.
- Outcome: the contact attribute `tandemOutcome` (SELF_SERVED, QUEUED, CALLBACK, CLOSED) when the
  flow sets one, unless the contact was queued or a callback was created after it was set; else
  what happened (queued, callback, disconnected). A guard stop is `error`.
- Action types not modelled are followed on their NextAction and reported in `warnings`.
  A step guard (`max_steps`) and a per-action visit guard (`max_visits`) stop runaway flows.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tandem.flows import fake_lex
from tandem.flows.document import FlowLoadError, load_flow
from tandem.flows.jsonpath import resolve, resolve_value
from tandem.local.connect_fake import QueueValues
from tandem.local.provision import DEFAULT_REGION, FAKE_ACCOUNT
from tandem.local.sandbox import CONNECT_INSTANCE_ARN, Sandbox, UnknownFunction

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "flows"
DEFAULT_CALLER = "+12025550101"
DIALLED_NUMBER = "+12025550100"
OPEN_MOMENT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 America/New_York
CLOSED_MOMENT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Monday 22:00 America/New_York
MAX_STEPS = 500
MAX_VISITS = 120  # per action; above Loop's largest LoopCount (100)
QUEUE_FLOW_VISITS = 12  # a customer-queue flow that loops this often: an agent answers
QUEUE_FLOW_ASKS = 1  # caller inputs a customer-queue flow may ask for; an agent answers before the next
MAX_LAMBDA_SECONDS = 8.0
DEFAULT_LAMBDA_SECONDS = 3.0
MAX_RESPONSE_BYTES = 32 * 1024
MAX_ATTRIBUTE_BYTES = 32 * 1024
DEFAULT_PRIORITY = 5
# Escalation's default average handle time (lambdas/ivr_decision/defaults/escalation.json), used
# to build a queue whose estimated wait is what the caller of `simulate` asked for.
AVERAGE_HANDLE_SECONDS = 300
QUIET_QUEUE = QueueValues(
    agents_available=2, agents_staffed=5, contacts_in_queue=0, oldest_contact_age_seconds=0
)

OUTCOMES = ("self-served", "queued", "callback", "closed", "disconnected", "error")
OUTCOME_ATTRIBUTE = "tandemOutcome"
CLAIMED_OUTCOMES = {
    "SELF_SERVED": "self-served",
    "QUEUED": "queued",
    "CALLBACK": "callback",
    "CLOSED": "closed",
}

NEXT = "NextAction"
NO_MATCHING_ERROR = "NoMatchingError"
NO_MATCHING_CONDITION = "NoMatchingCondition"
INPUT_TIMEOUT = "InputTimeLimitExceeded"

Hours = Literal["open", "closed"]
LambdaFault = Literal["error", "timeout", "invalid"]
LAMBDA_FAULTS: tuple[LambdaFault, ...] = ("error", "timeout", "invalid")
# A caller model: (flow name, action id, prompt heard) → key(s) or words, "" for silence, None for
# nothing (the block times out). Asked once the scripted inputs have run out.
Responder = Callable[[str, str, str], "str | None"]
FlowKind = Literal["inbound", "transfer", "queue", "whisper", "remaining", "hook"]

_PLACEHOLDER = re.compile(r"\{\{([a-z]+):([A-Za-z0-9_-]+)\}\}")
_FUNCTION_IN_ARN = re.compile(r":function:([^:/\s]+)")
_FLOW_IN_ARN = re.compile(r"/contact-flow/([^/\s]+)$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_FLOW_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class FlowNotFound(ValueError):
    """The flow to simulate cannot be found or read; the message is one line."""


class FlowRefused(FlowNotFound):
    """The flow file is there but cannot be run: unreadable, not a flow, or its actions share an
    Identifier (which one a transition means would be a guess); the message is one line."""


# --- results ----------------------------------------------------------------------------------


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


# --- flows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    start: str
    actions: dict[str, dict[str, Any]]
    transitions: frozenset[tuple[str, str]]
    unresolved: tuple[str, ...] = ()  # placeholders of unknown types, left as written


@dataclass(frozen=True)
class LocalResources:
    """What the repo's placeholders resolve to in a simulation."""

    queue_arns: Mapping[str, str]
    settings: Mapping[str, str]

    def value(self, kind: str, name: str) -> str | None:
        if kind == "lambda":
            return f"arn:aws:lambda:{DEFAULT_REGION}:{FAKE_ACCOUNT}:function:{name}"
        if kind == "queue":
            return self.queue_arns.get(name, f"{CONNECT_INSTANCE_ARN}/queue/queue-{name}")
        if kind == "flow":
            return flow_arn(name)
        if kind == "hours":
            return f"{CONNECT_INSTANCE_ARN}/operating-hours/hours-{name}"
        if kind == "setting":
            return self.settings.get(name, "")
        return None

    def key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.queue_arns.items())), tuple(sorted(self.settings.items())))


def flow_arn(name: str) -> str:
    """The fake ARN a `{{flow:name}}` placeholder stands for."""
    return f"{CONNECT_INSTANCE_ARN}/contact-flow/{name}"


_FLOW_CACHE: dict[tuple[Any, ...], Flow] = {}


def load(path: Path, resources: LocalResources) -> Flow:
    """The flow at `path`, placeholders resolved, indexed by action id (cached by file and mtime)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise FlowRefused(f"{path}: cannot read the flow: {error.strerror or error}") from error
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, resources.key())
    cached = _FLOW_CACHE.get(key)
    if cached is not None:
        return cached
    try:
        loaded = load_flow(path).require()
    except FlowLoadError as error:
        raise FlowRefused(str(error)) from error
    unknown: list[str] = []
    document = _resolve_placeholders(loaded.document, resources, unknown)
    actions: dict[str, dict[str, Any]] = {}
    transitions: set[tuple[str, str]] = set()
    for action in document.get("Actions") or []:
        if not isinstance(action, dict) or not isinstance(action.get("Identifier"), str):
            continue
        actions[action["Identifier"]] = action
        transitions.update((action["Identifier"], branch) for branch, _ in _branches(action))
    flow = Flow(
        loaded.name,
        path,
        str(document.get("StartAction", "")),
        actions,
        frozenset(transitions),
        tuple(sorted(set(unknown))),
    )
    if len(_FLOW_CACHE) > 256:
        _FLOW_CACHE.clear()
    _FLOW_CACHE[key] = flow
    return flow


def _resolve_placeholders(node: Any, resources: LocalResources, unknown: list[str]) -> Any:
    if isinstance(node, str):
        if "{{" not in node:
            return node

        def replace(match: re.Match[str]) -> str:
            value = resources.value(match.group(1), match.group(2))
            if value is None:
                unknown.append(match.group(0))
                return match.group(0)
            return value

        return _PLACEHOLDER.sub(replace, node)
    if isinstance(node, dict):
        return {
            _resolve_placeholders(k, resources, unknown): _resolve_placeholders(v, resources, unknown)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_placeholders(v, resources, unknown) for v in node]
    return node


def condition_label(condition: Any) -> str:
    """A condition's branch name: "Equals 1", "NumberGreaterThan 600"."""
    inner = condition.get("Condition") if isinstance(condition, dict) else None
    if isinstance(inner, dict) and "Operator" in inner:
        operands = inner.get("Operands") or []
        shown = ",".join(str(o) for o in operands) if isinstance(operands, list) else str(operands)
        return f"{inner['Operator']} {shown}".rstrip()
    return json.dumps(inner, sort_keys=True, separators=(",", ":"))


def _branches(action: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(branch name, target) for every transition of an action."""
    transitions = action.get("Transitions")
    if not isinstance(transitions, dict):
        return
    if isinstance(transitions.get(NEXT), str):
        yield NEXT, transitions[NEXT]
    for condition in transitions.get("Conditions") or []:
        if isinstance(condition, dict) and isinstance(condition.get(NEXT), str):
            yield condition_label(condition), condition[NEXT]
    for error in transitions.get("Errors") or []:
        if isinstance(error, dict) and isinstance(error.get(NEXT), str):
            yield str(error.get("ErrorType", "")), error[NEXT]


def matches(operator: str, operands: Any, value: str) -> bool | None:
    """Whether `value` satisfies a condition; None for an operator Connect does not have."""
    candidates = [str(o) for o in operands] if isinstance(operands, list) else [str(operands)]
    if operator == "Equals":
        return value in candidates
    if operator == "TextStartsWith":
        return any(value.startswith(o) for o in candidates)
    if operator == "TextEndsWith":
        return any(value.endswith(o) for o in candidates)
    if operator == "TextContains":
        return any(o in value for o in candidates)
    compare = _NUMBER_OPERATORS.get(operator)
    if compare is None:
        return None
    number = _number(value)
    if number is None:
        return False
    limits = [_number(o) for o in candidates]
    return any(limit is not None and compare(number, limit) for limit in limits)


_NUMBER_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "NumberGreaterThan": lambda a, b: a > b,
    "NumberGreaterOrEqualTo": lambda a, b: a >= b,
    "NumberLessThan": lambda a, b: a < b,
    "NumberLessOrEqualTo": lambda a, b: a <= b,
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# --- queue load -------------------------------------------------------------------------------


def queue_values(queue_wait_seconds: int | None) -> QueueValues:
    """A queue whose estimated wait (escalation's formula) is `queue_wait_seconds`; None: quiet.

    Escalation estimates `max(oldest age, (waiting + 1) * handle / staffed)`; the oldest contact
    has waited the asked time and the queue holds as many callers as the staffed agents clear
    within it, so both terms agree.
    """
    if queue_wait_seconds is None:
        return QUIET_QUEUE
    wait = max(int(queue_wait_seconds), 0)
    if wait == 0:
        return QueueValues(
            agents_available=1, agents_staffed=5, contacts_in_queue=0, oldest_contact_age_seconds=0
        )
    staffed = max(5, math.ceil(AVERAGE_HANDLE_SECONDS / wait))
    waiting = max(wait * staffed // AVERAGE_HANDLE_SECONDS - 1, 0)
    return QueueValues(
        agents_available=0, agents_staffed=staffed, contacts_in_queue=waiting, oldest_contact_age_seconds=wait
    )


def apply_queue_load(box: Sandbox, values: QueueValues) -> None:
    """Every sandbox queue reports `values` to GetCurrentMetricData from now on.

    Escalation caches snapshots for a few seconds per warm container, so when the load changes
    its container is cold-started and the next call sees the new figures.
    """
    changed = False
    for name, arn in box.queue_arns.items():
        queue_id = arn.rsplit("/queue/", 1)[-1]
        if box.connect_metrics.values(queue_id) != values:
            box.queue_metrics(
                name,
                agents_available=values.agents_available,
                agents_staffed=values.agents_staffed,
                contacts_in_queue=values.contacts_in_queue,
                oldest_contact_age_seconds=values.oldest_contact_age_seconds,
            )
            changed = True
    if changed:
        box.cold_start("escalation")


# --- the run ----------------------------------------------------------------------------------


class _GuardStop(Exception):
    pass


class _QueueWaitOver(Exception):
    pass


@dataclass(slots=True)
class _Next:
    branch: str | None  # None: the flow ends at this action
    note: str = ""
    flow: Flow | None = None  # TransferToFlow: continue at this flow's start
    then: Callable[[], None] | None = None  # runs after the step is recorded (hook flows)
    said: str | None = None  # an input block: what the caller gave ("" none)


class _Run:
    def __init__(
        self,
        *,
        box: Sandbox,
        resources: LocalResources,
        flows_dir: Path,
        caller: str,
        inputs: Iterable[str],
        hours: Hours,
        queue: QueueValues,
        queue_wait_seconds: int | None,
        channel: str,
        language: str,
        max_steps: int,
        max_visits: int,
        responder: Responder | None = None,
        lambda_faults: Mapping[str, LambdaFault] | None = None,
    ) -> None:
        self.box = box
        self.responder = responder
        self.lambda_faults: Mapping[str, LambdaFault] = lambda_faults or {}
        self.resources = resources
        self.flows_dir = flows_dir
        self.inputs: deque[str] = deque(inputs)
        self.hours = hours
        self.queue_load = queue
        self.queue_wait_seconds = queue_wait_seconds
        self.max_steps = max_steps
        self.max_visits = max_visits
        self.contact_id = str(uuid.uuid4())
        self.channel = channel.upper()
        voice = self.channel == "VOICE"
        self.attributes: dict[str, str] = {}
        self.namespace: dict[str, Any] = {
            "Attributes": self.attributes,
            "FlowAttributes": {},
            "External": {},
            "Lex": {},
            "Metrics": {},
            "StoredCustomerInput": "",
            "Queue": {},
            "Channel": self.channel,
            "ContactId": self.contact_id,
            "InitialContactId": self.contact_id,
            "PreviousContactId": self.contact_id,
            "InitiationMethod": "INBOUND",
            "InstanceARN": CONNECT_INSTANCE_ARN,
            "AwsRegion": DEFAULT_REGION,
            "LanguageCode": language,
            "CustomerEndpoint": {"Address": caller, "Type": "TELEPHONE_NUMBER"} if voice else {},
            "SystemEndpoint": {"Address": DIALLED_NUMBER, "Type": "TELEPHONE_NUMBER"} if voice else {},
        }
        self.steps: list[Step] = []
        self.lambda_calls: list[LambdaCall] = []
        self.prompts: list[Prompt] = []
        self.warnings: list[str] = []
        self.coverage: dict[str, FlowCoverage] = {}
        self.visits: dict[tuple[str, str], int] = {}
        self.loops: dict[tuple[str, str], int] = {}
        self.hooks: dict[str, str] = {}
        self.hooks_run: set[str] = set()
        self.trail: list[str] = []  # outcomes claimed by the flow or observed, in order
        self.queue_arn = ""
        self.queue_name = ""
        self.outcome_queue = ""
        self.priority = DEFAULT_PRIORITY
        self.callback_number = ""
        self.disconnected = False
        self.queue_asks = 0  # inputs the customer-queue flow has asked for
        self._warned_types: set[str] = set()

    # -- driving flows

    def run(self, flow: Flow, kind: FlowKind, *, visit_limit: int | None = None) -> None:
        """Run `flow` (and flows it transfers to) until it ends."""
        limit = visit_limit or self.max_visits
        visits = self.visits if visit_limit is None else {}
        self.namespace["FlowAttributes"] = {}
        coverage = self._coverage(flow)
        action_id, where = flow.start, "StartAction"
        while True:
            action = flow.actions.get(action_id)
            if action is None:
                raise _GuardStop(f"flow {flow.name}: {where} points to {action_id!r}, which is not an action")
            if len(self.steps) >= self.max_steps:
                raise _GuardStop(
                    f"step guard: {self.max_steps} steps without ending; stopped at flow {flow.name}, "
                    f"action {action_id!r} ({action.get('Type')})"
                )
            seen = visits.get((flow.name, action_id), 0) + 1
            visits[(flow.name, action_id)] = seen
            if seen > limit:
                message = (
                    f"loop guard: flow {flow.name}, action {action_id!r} ({action.get('Type')}) "
                    f"reached {limit} times"
                )
                if visit_limit is not None:
                    raise _QueueWaitOver(f"{message}; an agent answers the waiting caller")
                raise _GuardStop(message)
            action_type = str(action.get("Type", ""))
            handler = _HANDLERS.get(action_type)
            if handler is None:
                go = self._unmodelled(flow, action, action_type)
            else:
                go = handler(self, flow, action, kind)
            if go.flow is not None:  # TransferToFlow: this flow ends, the target starts
                self._step(flow, action_id, action_type, "", go)
                flow, coverage = go.flow, self._coverage(go.flow)
                action_id, where = flow.start, "StartAction"
                self.namespace["FlowAttributes"] = {}
                kind = "transfer" if kind == "inbound" else kind
                continue
            if go.branch is None:
                self._step(flow, action_id, action_type, "", go)
                if go.then is not None:
                    go.then()
                return
            branch, target = self._follow(action, go.branch)
            self._step(flow, action_id, action_type, branch, go)
            if target is None:
                self.warnings.append(
                    f"{flow.name}: action {action_id!r} ({action_type}) has no {go.branch} branch "
                    "and no NextAction; the flow ends there"
                )
                return
            coverage.taken.add((action_id, branch))
            action_id, where = target, f"the {branch} branch of {action_id!r}"

    def _follow(self, action: dict[str, Any], branch: str) -> tuple[str, str | None]:
        """The branch taken and its target; an error falls back to NoMatchingError, then NextAction."""
        candidates = [branch]
        if branch not in (NEXT, NO_MATCHING_ERROR) and not _is_condition(branch):
            candidates.append(NO_MATCHING_ERROR)
        if branch != NEXT:
            candidates.append(NEXT)
        targets = dict(_branches(action))
        for candidate in candidates:
            if candidate in targets:
                return candidate, targets[candidate]
        return branch, None

    def _coverage(self, flow: Flow) -> FlowCoverage:
        coverage = self.coverage.get(flow.name)
        if coverage is None:
            coverage = self.coverage[flow.name] = FlowCoverage(flow.transitions)
            if flow.unresolved:
                self.warnings.append(
                    f"{flow.name}: placeholders of unknown types left as written: "
                    + ", ".join(flow.unresolved)
                )
        return coverage

    def _step(self, flow: Flow, action_id: str, action_type: str, branch: str, go: _Next) -> None:
        self.steps.append(Step(flow.name, action_id, action_type, branch, go.note, go.said))

    def _unmodelled(self, flow: Flow, action: dict[str, Any], action_type: str) -> _Next:
        if action_type not in self._warned_types:
            self._warned_types.add(action_type)
            self.warnings.append(
                f"{flow.name}: action type {action_type or '(none)'} is not modelled by the simulator; "
                "followed its NextAction"
            )
        transitions = action.get("Transitions") or {}
        if isinstance(transitions, dict) and NEXT in transitions:
            return _Next(NEXT, "not modelled: took NextAction")
        return _Next(None, "not modelled; no NextAction: the flow ends here")

    # -- values

    def value(self, raw: Any) -> str:
        return resolve(self.namespace, raw) if isinstance(raw, str) else ("" if raw is None else str(raw))

    def say(self, flow: Flow, action: dict[str, Any], parameters: Mapping[str, Any], kind: FlowKind) -> str:
        """Record the prompt a block plays (Text, SSML, a prompt id or media); "" when none."""
        text = ""
        if parameters.get("Text"):
            text = self.value(parameters["Text"])
        elif parameters.get("SSML"):
            text = re.sub(r"<[^>]+>", "", self.value(parameters["SSML"])).strip()
        elif parameters.get("PromptId"):
            text = f"[recorded prompt {self.value(parameters['PromptId'])}]"
        elif isinstance(parameters.get("Media"), dict):
            text = f"[audio {self.value(parameters['Media'].get('Uri', ''))}]"
        if text:
            to = "agent" if kind == "whisper" else "customer"
            self.prompts.append(Prompt(flow.name, str(action.get("Identifier")), text, to))
        return text

    def next_input(self, kind: FlowKind, flow: Flow, action: dict[str, Any], prompt: str) -> str | None:
        """The caller's answer to `prompt`: the next scripted input, then the responder's; None for none."""
        if kind == "queue":
            self.queue_asks += 1
            if self.queue_asks > QUEUE_FLOW_ASKS:
                raise _QueueWaitOver("an agent answers before the customer-queue flow asks the caller again")
        if self.inputs:
            return self.inputs.popleft()
        if self.responder is not None:
            return self.responder(flow.name, str(action.get("Identifier", "")), prompt)
        return None

    def select(self, action: dict[str, Any], value: str, flow: Flow) -> str | None:
        """The label of the first condition `value` satisfies, or None."""
        transitions = action.get("Transitions") or {}
        for condition in transitions.get("Conditions") or []:
            inner = condition.get("Condition") if isinstance(condition, dict) else None
            if not isinstance(inner, dict):
                continue
            verdict = matches(str(inner.get("Operator", "")), inner.get("Operands") or [], value)
            if verdict is None:
                self.warnings.append(
                    f"{flow.name}: action {action.get('Identifier')!r}: unknown operator "
                    f"{inner.get('Operator')!r}; the condition never matches"
                )
            elif verdict:
                return condition_label(condition)
        return None

    def claim(self, outcome: str) -> None:
        self.trail.append(outcome)

    def queue_name_of(self, arn: str) -> str:
        for name, known in self.resources.queue_arns.items():
            if known == arn or known.rsplit("/", 1)[-1] == arn:
                return name
        return arn.rsplit("/", 1)[-1]

    def find_flow(self, reference: str) -> Flow | None:
        """A flow named by a (fake) flow ARN, a name in flows_dir, or a path; None when unknown."""
        match = _FLOW_IN_ARN.search(reference)
        if match:
            path = self.flows_dir / f"{match.group(1)}.json"
        elif reference.endswith(".json"):
            path = Path(reference)
        elif _FLOW_NAME.match(reference):
            path = self.flows_dir / f"{reference}.json"
        else:
            return None
        if not path.is_file():
            return None
        try:
            return load(path, self.resources)
        except FlowNotFound as error:
            self.warnings.append(str(error))
            return None

    # -- hooks

    def run_hook(self, hook: str, kind: FlowKind, *, visit_limit: int | None = None) -> bool:
        """Run the flow set for `hook`, once per contact; False when none ran."""
        reference = self.hooks.get(hook)
        if not reference or hook in self.hooks_run:
            return False
        self.hooks_run.add(hook)
        flow = self.find_flow(reference)
        if flow is None:
            self.warnings.append(f"{hook} hook: no flow found for {reference!r}; not run")
            return False
        # A hook flow is its own execution: no Lambda result or Lex turn of the inbound flow.
        external, lex = self.namespace["External"], self.namespace["Lex"]
        self.namespace["External"], self.namespace["Lex"] = {}, {}
        try:
            self.run(flow, kind, visit_limit=visit_limit)
        finally:
            self.namespace["External"], self.namespace["Lex"] = external, lex
        return True

    def after_queued(self) -> None:
        """The wait in queue, an agent, and the customer left on the line after the agent hangs up."""
        if self.queue_wait_seconds is not None and "CustomerQueue" in self.hooks:
            try:
                self.run_hook("CustomerQueue", "queue", visit_limit=QUEUE_FLOW_VISITS)
            except _QueueWaitOver as over:
                self.steps.append(Step(self.steps[-1].flow, "", "(agent)", "", str(over)))
        if self.disconnected or (self.trail and self.trail[-1] != "queued"):
            return
        self.run_hook("AgentWhisper", "whisper")
        self.run_hook("CustomerRemaining", "remaining")


# --- action handlers --------------------------------------------------------------------------

Handler = Callable[[_Run, Flow, dict[str, Any], FlowKind], _Next]


def _parameters(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def _is_condition(branch: str) -> bool:
    return " " in branch or branch.startswith("{")


def _noop(note: str) -> Handler:
    def handle(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
        return _Next(NEXT, note)

    return handle


def _logging(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    return _Next(NEXT, f"flow logging {_parameters(action).get('FlowLoggingBehavior', '')}".strip())


def _voice(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    voice = run.value(parameters.get("TextToSpeechVoice", ""))
    engine = run.value(parameters.get("TextToSpeechEngine", ""))
    return _Next(NEXT, f"voice {voice} {engine}".strip())


def _message(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    text = run.say(flow, action, _parameters(action), kind)
    return _Next(NEXT, f'"{text}"' if text else "nothing to play")


def _message_iteratively(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    messages = _parameters(action).get("Messages") or []
    played = [run.say(flow, action, m, kind) for m in messages if isinstance(m, dict)]
    return _Next(None, f"plays {len(played)} message(s) until an agent answers")


def _invoke_lambda(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    arn = run.value(parameters.get("LambdaFunctionARN", ""))
    match = _FUNCTION_IN_ARN.search(arn)
    function = match.group(1) if match else arn
    attributes = parameters.get("LambdaInvocationAttributes")
    resolved = resolve_value(run.namespace, attributes) if isinstance(attributes, dict) else {}
    action_id = str(action.get("Identifier"))

    def failed(reason: str, response: Any = None) -> _Next:
        run.lambda_calls.append(LambdaCall(flow.name, action_id, function, resolved, response, reason))
        return _Next(NO_MATCHING_ERROR, f"{function or '(no function)'}: {reason}")

    if not function:
        return failed("the function ARN resolves to nothing")
    limit = _number(str(parameters.get("InvocationTimeLimitSeconds", DEFAULT_LAMBDA_SECONDS)))
    limit = min(limit if limit and limit > 0 else DEFAULT_LAMBDA_SECONDS, MAX_LAMBDA_SECONDS)
    fault = run.lambda_faults.get(function)
    if fault == "error":
        return failed("the handler raised an error (injected)")
    started = time.perf_counter()
    try:
        response: Any = run.box.invoke(function, lambda_event(run.namespace, resolved))
    except UnknownFunction:
        return failed("no such function in the sandbox")
    except Exception as error:
        return failed(f"the handler raised {type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    if fault == "timeout":
        return failed(f"timed out: ran past InvocationTimeLimitSeconds {limit:g} (injected)", response)
    if elapsed > limit:
        return failed(f"timed out: {elapsed:.1f} s > InvocationTimeLimitSeconds {limit:g}", response)
    validation = parameters.get("ResponseValidation")
    response_type = (
        validation.get("ResponseType", "STRING_MAP") if isinstance(validation, dict) else "STRING_MAP"
    )
    if fault == "invalid":
        answer = response if isinstance(response, dict) else {}
        response = [response] if response_type == "JSON" else {**answer, "injected": {"nested": "map"}}
    injected = " (injected)" if fault == "invalid" else ""
    if not isinstance(response, dict):
        return failed(f"the response is {type(response).__name__}, not a map{injected}", response)
    if response_type != "JSON" and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in response.items()
    ):
        return failed(f"the response is not a flat string map (STRING_MAP){injected}", response)
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return failed("the response is not JSON", response)
    if size >= MAX_RESPONSE_BYTES:
        return failed(f"the response is {size} bytes (32 KB or more)", response)
    run.namespace["External"] = response
    run.lambda_calls.append(LambdaCall(flow.name, action_id, function, resolved, response))
    status = response.get("status", "")
    return _Next(NEXT, f"{function} answered{' ' + str(status) if status else ''}")


def lambda_event(namespace: Mapping[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The event Connect sends a Lambda block: the contact's data and the block's parameters."""
    queue = namespace.get("Queue") or {}
    customer = namespace.get("CustomerEndpoint") or {}
    system = namespace.get("SystemEndpoint") or {}
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": dict(namespace["Attributes"]),
                "Channel": namespace["Channel"],
                "ContactId": namespace["ContactId"],
                "InitialContactId": namespace["InitialContactId"],
                "PreviousContactId": namespace["PreviousContactId"],
                "InitiationMethod": namespace["InitiationMethod"],
                "InstanceARN": namespace["InstanceARN"],
                "CustomerEndpoint": dict(customer) if customer else None,
                "SystemEndpoint": dict(system) if system else None,
                "Queue": {"ARN": queue["ARN"], "Name": queue["Name"], "OutboundCallerId": None}
                if queue
                else None,
                "LanguageCode": namespace["LanguageCode"],
                "MediaStreams": {"Customer": {"Audio": None}},
            },
            "Parameters": parameters,
        },
    }


def _update_attributes(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    given = parameters.get("Attributes")
    if not isinstance(given, dict):
        return _Next(NO_MATCHING_ERROR, "no Attributes")
    values = {str(k): run.value(v) if isinstance(v, str) else json.dumps(v) for k, v in given.items()}
    merged = {**run.attributes, **values}
    if len(json.dumps(merged, ensure_ascii=False).encode("utf-8")) > MAX_ATTRIBUTE_BYTES:
        return _Next(NO_MATCHING_ERROR, "contact attributes would pass 32 KB; none set")
    run.attributes.update(values)
    note = ", ".join(f"{k}={v}" for k, v in values.items())
    if parameters.get("TargetContact") == "Related":
        note += " (TargetContact Related: applied to this contact)"
    claimed = values.get(OUTCOME_ATTRIBUTE)
    if claimed:
        outcome = CLAIMED_OUTCOMES.get(claimed.upper())
        if outcome:
            run.claim(outcome)
        else:
            run.warnings.append(
                f"{flow.name}: {OUTCOME_ATTRIBUTE}={claimed!r} is not one of {', '.join(CLAIMED_OUTCOMES)}"
            )
    return _Next(NEXT, note)


def _update_flow_attributes(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    given = _parameters(action).get("FlowAttributes")
    if not isinstance(given, dict):
        return _Next(NO_MATCHING_ERROR, "no FlowAttributes")
    store = run.namespace["FlowAttributes"]
    for name, spec in given.items():
        raw = spec.get("Value", "") if isinstance(spec, dict) else spec
        store[str(name)] = run.value(raw)
    return _Next(NEXT, ", ".join(f"{n}={store[str(n)]}" for n in given))


def _compare(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    value = run.value(_parameters(action).get("ComparisonValue", ""))
    label = run.select(action, value, flow)
    return _Next(label or NO_MATCHING_CONDITION, f"value {value!r}")


def _get_input(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    prompt = run.say(flow, action, parameters, kind)
    heard = f'"{prompt}"; ' if prompt else ""
    if run.channel != "VOICE":
        return _Next(NO_MATCHING_ERROR, f"{heard}DTMF input works on voice contacts only")
    pressed = run.next_input(kind, flow, action, prompt)
    if not pressed:
        return _Next(
            INPUT_TIMEOUT, f"{heard}{'no input left' if pressed is None else 'silence'}: timed out", said=""
        )
    if str(parameters.get("StoreInput", "False")).lower() == "true":
        digits = pressed
        terminator = (parameters.get("DTMFConfiguration") or {}).get("InputTerminationSequence") or "#"
        if isinstance(terminator, str) and terminator and digits.endswith(terminator):
            digits = digits[: -len(terminator)]
        validation = parameters.get("InputValidation") or {}
        phone = validation.get("PhoneNumberValidation") if isinstance(validation, dict) else None
        if (
            isinstance(phone, dict)
            and phone.get("NumberFormat", "E164") == "E164"
            and not _E164.match(digits)
        ):
            run.namespace["StoredCustomerInput"] = ""
            return _Next("InvalidPhoneNumber", f"{heard}{digits!r} is not an E.164 number", said=pressed)
        custom = validation.get("CustomValidation") if isinstance(validation, dict) else None
        if isinstance(custom, dict) and (maximum := _number(str(custom.get("MaximumLength", "")))):
            digits = digits[: int(maximum)]
        run.namespace["StoredCustomerInput"] = digits
        return _Next(NEXT, f"{heard}stored {digits!r}", said=pressed)
    label = run.select(action, pressed, flow)
    return _Next(label or NO_MATCHING_CONDITION, f"{heard}pressed {pressed!r}", said=pressed)


def _lex(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    prompt = run.say(flow, action, parameters, kind)
    heard = f'"{prompt}"; ' if prompt else ""
    bot = parameters.get("LexV2Bot") or parameters.get("LexBot") or {}
    alias = run.value(bot.get("AliasArn") or bot.get("Name") or "") if isinstance(bot, dict) else ""
    if not alias:
        return _Next(NO_MATCHING_ERROR, f"{heard}no Lex bot configured (the alias resolves to nothing)")
    said = run.next_input(kind, flow, action, prompt)
    if not said:
        return _Next(
            INPUT_TIMEOUT, f"{heard}{'no input left' if said is None else 'silence'}: timed out", said=""
        )
    turn = fake_lex.classify(said)
    session = parameters.get("LexSessionAttributes")
    session_values = resolve_value(run.namespace, session) if isinstance(session, dict) else {}
    run.namespace["Lex"] = turn.namespace(session_values)
    note = f'{heard}said "{said}" → fake Lex {turn.intent} {turn.confidence:.2f} {turn.sentiment}'
    label = run.select(action, turn.intent, flow)
    return _Next(label or NEXT, note, said=said)


def _loop(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    count = _number(run.value(_parameters(action).get("LoopCount", "0"))) or 0.0
    count = int(min(max(count, 0), 100))
    key = (flow.name, str(action.get("Identifier")))
    done = run.loops.get(key, 0)
    if done < count:
        run.loops[key] = done + 1
        value, note = "ContinueLooping", f"iteration {done + 1} of {count}"
    else:
        run.loops[key] = 0
        value, note = "DoneLooping", f"done after {count}"
    return _Next(run.select(action, value, flow) or NEXT, note)


def _check_hours(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    value = "True" if run.hours == "open" else "False"
    return _Next(run.select(action, value, flow) or NEXT, f"hours {run.hours} (simulated)")


def _metrics(run: _Run, queue_arn: str, channel: str) -> dict[str, Any]:
    load = run.queue_load
    queue: dict[str, Any] = {
        "Name": run.queue_name_of(queue_arn) if queue_arn else "",
        "ARN": queue_arn,
        "Size": _count(load.contacts_in_queue),
        "OldestContactAge": _count(load.oldest_contact_age_seconds),
    }
    if channel:  # Connect estimates a wait only for one channel
        queue["EstimatedWaitTime"] = str(max(run.queue_wait_seconds or 0, 0))
    metrics: dict[str, Any] = {"Queue": queue}
    if load.agents_staffed:  # no agents: no agent metrics
        metrics["Agents"] = {
            "Online": {"Count": _count(load.agents_staffed)},
            "Available": {"Count": _count(load.agents_available)},
            "Staffed": {"Count": _count(load.agents_staffed)},
        }
    return metrics


def _count(value: float | None) -> str:
    return "" if value is None else str(int(value))


def _get_metrics(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    queue_arn = run.value(parameters.get("QueueId", "")) or run.queue_arn
    metrics = _metrics(run, queue_arn, run.value(parameters.get("QueueChannel", "")))
    run.namespace["Metrics"] = metrics
    agents = metrics.get("Agents", {}).get("Available", {}).get("Count", "none")
    note = f"queue {metrics['Queue']['Name'] or '(none)'}: {metrics['Queue']['Size']} waiting, oldest "
    return _Next(NEXT, note + f"{metrics['Queue']['OldestContactAge']} s, {agents} agents available")


CHECK_METRICS = {
    "NumberOfAgentsAvailable": "agents_available",
    "NumberOfAgentsStaffed": "agents_staffed",
    "NumberOfAgentsOnline": "agents_staffed",
    "OldestContactInQueueAgeSeconds": "oldest_contact_age_seconds",
    "NumberOfContactsInQueue": "contacts_in_queue",
}


def _check_metrics(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    metric = str(_parameters(action).get("MetricType", ""))
    attribute = CHECK_METRICS.get(metric)
    if attribute is None:
        return _Next(NO_MATCHING_ERROR, f"unknown MetricType {metric!r}")
    value = _count(getattr(run.queue_load, attribute))
    return _Next(run.select(action, value, flow) or NO_MATCHING_CONDITION, f"{metric} = {value}")


def _target_queue(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    if parameters.get("AgentId"):
        agent = run.value(parameters["AgentId"])
        if not agent:
            return _Next(NO_MATCHING_ERROR, "AgentId resolves to nothing")
        run.queue_arn, run.queue_name = agent, f"agent:{agent.rsplit('/', 1)[-1]}"
    else:
        arn = run.value(parameters.get("QueueId", ""))
        if not arn:
            return _Next(NO_MATCHING_ERROR, "QueueId resolves to nothing")
        run.queue_arn, run.queue_name = arn, run.queue_name_of(arn)
        if arn not in run.resources.queue_arns.values():
            run.warnings.append(
                f"{flow.name}: queue {arn!r} is not a sandbox queue; kept as {run.queue_name!r}"
            )
    run.namespace["Queue"] = {"ARN": run.queue_arn, "Name": run.queue_name}
    return _Next(NEXT, f"working queue {run.queue_name}")


def _routing(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    if "QueuePriority" in parameters:
        priority = _number(run.value(parameters["QueuePriority"]))
        if priority is None or priority < 1:
            return _Next(
                NO_MATCHING_ERROR, f"QueuePriority {parameters['QueuePriority']!r} is not a number > 0"
            )
        run.priority = int(priority)
        return _Next(NEXT, f"priority {run.priority}")
    if "QueueTimeAdjustmentSeconds" in parameters:
        return _Next(NEXT, f"queue time adjusted by {run.value(parameters['QueueTimeAdjustmentSeconds'])} s")
    return _Next(NEXT, "no routing change")


def _event_hooks(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    hooks = _parameters(action).get("EventHooks")
    if not isinstance(hooks, dict) or not hooks:
        return _Next(NO_MATCHING_ERROR, "no EventHooks")
    set_now = {}
    for hook, reference in hooks.items():
        value = run.value(reference)
        run.hooks[str(hook)] = value
        found = _FLOW_IN_ARN.search(value)
        set_now[str(hook)] = found.group(1) if found else value or "(nothing)"
    return _Next(NEXT, ", ".join(f"{h} → {v}" for h, v in set_now.items()))


def _callback_number(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    number = run.value(_parameters(action).get("CallbackNumber", ""))
    if not _E164.match(number):
        return _Next("InvalidCallbackNumber", f"{number!r} is not a dialable E.164 number")
    run.callback_number = number
    return _Next(NEXT, f"callback number {number}")


def _create_callback(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    number = run.callback_number or run.namespace["CustomerEndpoint"].get("Address", "")
    if not _E164.match(number):
        return _Next(NO_MATCHING_ERROR, "no dialable callback number")
    queue_arn = run.value(parameters.get("QueueId", "")) or run.queue_arn
    if not queue_arn:
        return _Next(NO_MATCHING_ERROR, "no queue for the callback")
    run.callback_number = number
    run.outcome_queue = run.queue_name_of(queue_arn)
    run.claim("callback")
    delay = run.value(parameters.get("InitialCallDelaySeconds", ""))
    return _Next(NEXT, f"callback in queue {run.outcome_queue}" + (f" after {delay} s" if delay else ""))


def _transfer_to_queue(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    if not run.queue_arn:
        return _Next(NO_MATCHING_ERROR, "no working queue set")
    run.outcome_queue = run.queue_name
    run.claim("queued")
    return _Next(None, f"queued in {run.queue_name} at priority {run.priority}", then=run.after_queued)


def _transfer_to_flow(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    reference = run.value(_parameters(action).get("ContactFlowId", ""))
    target = run.find_flow(reference) if reference else None
    if target is None:
        return _Next(NO_MATCHING_ERROR, f"no flow found for {reference!r}")
    return _Next(NEXT, f"→ {target.name}", flow=target)


def _disconnect(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    # The flow hangs up on the caller: a disconnect flow set for this contact would speak to no one,
    # so it is not run (it runs when the agent hangs up with the caller still on the line).
    run.disconnected = True
    return _Next(None, "disconnect")


def _end_flow(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    return _Next(None, "end of flow")


def _contact_data(run: _Run, flow: Flow, action: dict[str, Any], kind: FlowKind) -> _Next:
    parameters = _parameters(action)
    changed = []
    for name in ("LanguageCode", "Name", "Description", "CustomerId"):
        if name in parameters:
            run.namespace[name] = run.value(parameters[name])
            changed.append(f"{name}={run.namespace[name]}")
    return _Next(NEXT, ", ".join(changed))


_HANDLERS: dict[str, Handler] = {
    "UpdateFlowLoggingBehavior": _logging,
    "UpdateContactTextToSpeechVoice": _voice,
    "MessageParticipant": _message,
    "MessageParticipantIteratively": _message_iteratively,
    "InvokeLambdaFunction": _invoke_lambda,
    "UpdateContactAttributes": _update_attributes,
    "UpdateFlowAttributes": _update_flow_attributes,
    "Compare": _compare,
    "GetParticipantInput": _get_input,
    "ConnectParticipantWithLexBot": _lex,
    "Loop": _loop,
    "CheckHoursOfOperation": _check_hours,
    "GetMetricData": _get_metrics,
    "CheckMetricData": _check_metrics,
    "UpdateContactTargetQueue": _target_queue,
    "UpdateContactRoutingBehavior": _routing,
    "UpdateContactEventHooks": _event_hooks,
    "UpdateContactCallbackNumber": _callback_number,
    "CreateCallbackContact": _create_callback,
    "TransferContactToQueue": _transfer_to_queue,
    "TransferToFlow": _transfer_to_flow,
    "DisconnectParticipant": _disconnect,
    "EndFlowExecution": _end_flow,
    "EndFlowModuleExecution": _end_flow,
    "UpdateContactData": _contact_data,
    "UpdateContactRecordingBehavior": _noop("recording settings: no effect in the simulator"),
    "UpdateContactRecordingAndAnalyticsBehavior": _noop("recording settings: no effect in the simulator"),
    "UpdateContactMediaStreamingBehavior": _noop("media streaming: no effect in the simulator"),
    "TagContact": _noop("tags: no effect in the simulator"),
}
MODELLED_TYPES = frozenset(_HANDLERS)


# --- entry point ------------------------------------------------------------------------------


def find_flow_file(flow: str | Path, flows_dir: Path = FLOWS_DIR) -> Path:
    """The file for a flow name in `flows_dir` (`inbound_main`) or a path; FlowNotFound otherwise."""
    path = Path(flow)
    if path.is_file():
        return path
    named = flows_dir / f"{flow}.json"
    if "/" not in str(flow) and named.is_file():
        return named
    if os.path.lexists(path):
        return path  # a directory, a device ...: `load` refuses it in one line
    known = ", ".join(sorted(p.stem for p in flows_dir.glob("*.json"))) or "none"
    raise FlowNotFound(f"{flow}: no such file, and no flow of that name in {flows_dir} (known: {known})")


def simulate(
    flow: str | Path,
    *,
    box: Sandbox,
    caller: str = DEFAULT_CALLER,
    inputs: Iterable[str] = (),
    hours: Hours = "open",
    queue_wait_seconds: int | None = None,
    channel: str = "VOICE",
    language: str = "en-US",
    flows_dir: Path = FLOWS_DIR,
    max_steps: int = MAX_STEPS,
    max_visits: int = MAX_VISITS,
    settings: Mapping[str, str] | None = None,
    at: datetime | None = None,
    responder: Responder | None = None,
    lambda_faults: Mapping[str, LambdaFault] | None = None,
) -> SimulationResult:
    """Run one contact through `flow` (a name in `flows_dir` or a path); see the module docstring.

    `lambda_faults` names functions whose blocks fail ("error", "timeout" or "invalid").
    Raises FlowNotFound (one line) when the starting flow cannot be found or read; everything that
    goes wrong after that is in the result (`stopped`, `warnings`, error branches taken).
    """
    if hours not in ("open", "closed"):
        raise ValueError(f"hours must be 'open' or 'closed', not {hours!r}")
    for function, fault in (lambda_faults or {}).items():
        if fault not in LAMBDA_FAULTS:
            raise ValueError(
                f"lambda_faults[{function!r}] is {fault!r}, not one of {', '.join(LAMBDA_FAULTS)}"
            )
    resources = LocalResources(dict(box.queue_arns), dict(settings or {}))
    start = load(find_flow_file(flow, flows_dir), resources)
    load_values = queue_values(queue_wait_seconds)
    apply_queue_load(box, load_values)
    run = _Run(
        box=box,
        resources=resources,
        flows_dir=flows_dir,
        caller=caller,
        inputs=inputs,
        hours=hours,
        queue=load_values,
        queue_wait_seconds=queue_wait_seconds,
        channel=channel,
        language=language,
        max_steps=max_steps,
        max_visits=max_visits,
        responder=responder,
        lambda_faults=lambda_faults,
    )
    stopped = ""
    with box.clock(at or (OPEN_MOMENT if hours == "open" else CLOSED_MOMENT)):
        try:
            run.run(start, "inbound")
        except _GuardStop as stop:
            stopped = str(stop)
    return SimulationResult(
        flow=start.name,
        contact_id=run.contact_id,
        steps=run.steps,
        lambda_calls=run.lambda_calls,
        prompts=run.prompts,
        outcome="error" if stopped else _outcome(run),
        queue=run.outcome_queue,
        priority=run.priority if run.outcome_queue else None,
        attributes=dict(run.attributes),
        warnings=run.warnings,
        coverage=run.coverage,
        stopped=stopped,
        callback_number=run.callback_number,
        hooks=dict(run.hooks),
        inputs_left=list(run.inputs),
    )


def _outcome(run: _Run) -> str:
    return run.trail[-1] if run.trail else "disconnected"
