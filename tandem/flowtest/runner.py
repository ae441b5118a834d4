"""Running one test case: a simulated contact driven by the test case's observations.

`run_case(case, options)` starts a fresh sandbox (nothing one test books — a callback, a counter —
leaks into the next), resolves the case's placeholders as the flows' are resolved, and runs the
entry flow through the simulator with a `Harness` plugged into its hooks: the harness turns the
simulator's events into the testing language's (`events`), matches them against the active
observations and runs the matched observations' actions (`actions`).

Chaining as the service documents it: observations nothing points to are active at the start;
a matched observation stays active until it has matched `Usage.Times` times (once by default),
then its NextObservations become active (`ANY`: any number of times, never required; its
NextObservations become active at its first match). Matches beyond `Times` go unnoticed. One event
may match every observation active when it arrives; observations it activates wait for the next.
An observation still active when the contact ends fails the test, as the service's 5-minute
timeout would: the step budget (`max_steps`) stands in for the clock, and the failure names the
observation, what it expected and what the contact did after it became active.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowdoc.placeholders import substitute_known
from flowdoc.testcase import Observation, TestCase, TestCaseError
from infra.constants import TEST_QUEUE_NAMES
from tandem.flows.simulator import (
    DEFAULT_CALLER,
    FLOWS_DIR,
    MAX_STEPS,
    EndContact,
    FlowEvent,
    FlowNotFound,
    LocalResources,
    Override,
    SimulationConfig,
    SimulationResult,
    find_flow_file,
    simulate,
)
from tandem.flows.simulator.flows import FLOW_IN_ARN
from tandem.flowtest.actions import DISCONNECT, Effects, run_actions
from tandem.flowtest.conditions import WITHHELD_CALLER, read_conditions
from tandem.flowtest.events import DEFAULT_SIMILARITY, TestEvent, expected_text, matches
from tandem.flowtest.faults import check_faults
from tandem.flowtest.reading import parse
from tandem.local.sandbox import FUNCTIONS

if TYPE_CHECKING:
    from tandem.local import Sandbox

SHOWN_AFTER = 6  # events shown as "what the contact did instead"


@dataclass(frozen=True)
class RunOptions:
    """How test cases run; `flow`, `caller`, `channel` give a bare document its entry point."""

    flow: str = ""
    caller: str = DEFAULT_CALLER
    channel: str = "VOICE"
    similarity: float = DEFAULT_SIMILARITY
    max_steps: int = MAX_STEPS
    flows_dir: Path = FLOWS_DIR
    # The demo places a day's calls: a substitute of the tests' own queue (`{{queue:test}}`, which
    # keeps cloud runs away from live agents) is then used up without effect, so each call is
    # queued where the flow sends it and counted there.
    live_queues: bool = False


@dataclass(frozen=True)
class Matched:
    observation: str
    event: str
    notes: tuple[str, ...] = ()


@dataclass
class TestResult:
    """One test case's run: what matched, what failed, the contact's trace and coverage."""

    __test__ = False

    name: str
    path: Path
    matched: list[Matched]
    failures: list[str]
    simulation: SimulationResult | None
    events: list[str]
    logged: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure (an unused override)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class _State:
    observation: Observation
    active: bool
    count: int = 0
    since: int = 0  # index into the event list when it became active


class Harness:
    """The test case's side of one simulated contact (see the module docstring)."""

    def __init__(self, case: TestCase, *, similarity: float, live_queues: bool = False) -> None:
        self.case = case
        self.similarity = similarity
        self.live_queues = live_queues
        pointed = {t for o in case.observations for t in o.next_observations}
        self.states = [_State(o, o.identifier not in pointed) for o in case.observations]
        self.effects = Effects()
        self.namespace: Mapping[str, Any] = {}
        self.heard: list[str] = []  # prompts to the customer not yet sent as a message
        self.events: list[str] = []
        self.matched: list[Matched] = []

    # -- the simulator's hooks

    def observe(self, event: FlowEvent) -> None:
        self.namespace = event.namespace
        if event.kind == "started":
            self.dispatch(TestEvent("TestInitiated", event.flow))
        elif event.kind == "prompt":
            if event.to == "customer":
                self.heard.append(event.text)
        else:
            self.flush()
            self.dispatch(
                TestEvent(
                    "FlowActionStarted",
                    event.flow,
                    event.action,
                    action_type=event.action_type,
                    parameters=event.parameters,
                )
            )
        self._end_if_asked()

    def respond(self, flow: str, action: str, prompt: str) -> str | None:
        self.flush()
        self._end_if_asked()
        given = self.effects.inputs.popleft() if self.effects.inputs else ""
        self.events.append(
            f"input asked at {flow}/{action}: {given!r}"
            if given
            else f"input asked at {flow}/{action}: none given (silence)"
        )
        return given

    def override(self, action_type: str, parameters: Mapping[str, Any]) -> Override | None:
        override = self.effects.take_override(action_type, parameters)
        if self.live_queues and override is not None and is_test_queue_substitute(override):
            return None
        return override

    # -- matching

    def flush(self) -> None:
        if self.heard:
            parts, self.heard = tuple(self.heard), []
            self.dispatch(TestEvent("MessageReceived", text=" ".join(parts), parts=parts))

    def dispatch(self, event: TestEvent) -> None:
        self.events.append(event.describe())
        activated: list[str] = []
        for state in [s for s in self.states if s.active]:
            observation = state.observation
            if not matches(observation, event, threshold=self.similarity):
                continue
            state.count += 1
            done = observation.times is not None and state.count >= observation.times
            if done:
                state.active = False
            notes = run_actions(observation, self.effects, self.namespace)
            self.matched.append(Matched(observation.identifier, event.describe(), tuple(notes)))
            if done or (observation.times is None and state.count == 1):
                activated.extend(observation.next_observations)
        for identifier in activated:
            target = next(s for s in self.states if s.observation.identifier == identifier)
            if not target.active and target.count == 0:
                target.active, target.since = True, len(self.events)

    def _end_if_asked(self) -> None:
        if self.effects.end:
            raise EndContact(self.effects.end)
        if self.effects.inputs and self.effects.inputs[0] == DISCONNECT:
            self.effects.inputs.popleft()
            self.events.append("the customer disconnected")
            raise EndContact("the customer disconnected (SendInstruction Disconnect)")

    def finish(self) -> list[str]:
        """The contact has ended: the last message, TestCompleted, and what never matched."""
        if not self.effects.end:
            self.flush()  # the contact ended on its own: what it said last is a message
        if not self.effects.failures:
            self.dispatch(TestEvent("TestCompleted"))
        failures = list(self.effects.failures)
        if failures:  # an assertion failed and ended the test: what follows never had its chance
            return failures
        for state in self.states:
            observation = state.observation
            if not state.active or observation.times is None:
                continue
            done = f"matched {state.count} of {observation.times} times" if state.count else "never matched"
            instead = self.events[state.since :][-SHOWN_AFTER:] or ["nothing"]
            failures.append(
                f"observation {observation.identifier!r} {done}: expected {_expectation(observation)}; "
                f"the contact instead: {' | '.join(instead)}"
            )
        return failures


def _expectation(observation: Observation) -> str:
    if observation.event_type == "MessageReceived":
        return f'MessageReceived ({observation.matching}) "{expected_text(observation.properties)}"'
    if observation.event_type == "FlowActionStarted":
        parameters = observation.properties.get("ActionParameters") or {}
        shown = ", ".join(f"{k}={v}" for k, v in parameters.items())
        return f"FlowActionStarted {observation.properties.get('ActionType')}({shown})"
    return observation.event_type


def is_test_queue_substitute(override: Override) -> bool:
    """A substitute of the tests' own queue, as a resolved `{{queue:test}}` names it."""
    queues = {LocalResources({}, {}).value("queue", name) for name in TEST_QUEUE_NAMES}
    return override.strategy == "substitute" and override.value in queues


def resolve(case: TestCase, resources: LocalResources, flows_dir: Path = FLOWS_DIR) -> TestCase:
    """The case with its `{{type:name}}` placeholders resolved as the simulator resolves the flows';
    TestCaseError naming a placeholder of an unknown type, or a Lambda, queue or flow the repo does
    not have (a typo would otherwise only show as an observation that never matches)."""
    known = {
        "lambda": set(FUNCTIONS),
        "queue": set(resources.queue_arns) | set(TEST_QUEUE_NAMES),
        "flow": {p.stem for p in flows_dir.glob("*.json")},
    }
    missing: set[str] = set()

    def value_of(kind: str, name: str) -> str | None:
        if kind in known and name not in known[kind]:
            missing.add(f"{{{{{kind}:{name}}}}} (known: {', '.join(sorted(known[kind]))})")
        return resources.value(kind, name)

    resolved, unknown = substitute_known(case.raw, value_of)
    if unknown:
        raise TestCaseError(f"{case.path}: placeholders of unknown types: {', '.join(unknown)}")
    if missing:
        raise TestCaseError(f"{case.path}: no such resource: {'; '.join(sorted(missing))}")
    return parse(resolved, case.path)


def entry_flow(case: TestCase, options: RunOptions) -> Path:
    """The file of the flow the contact starts in; TestCaseError when there is none."""
    reference = case.entry.flow if case.entry else options.flow
    if not reference:
        raise TestCaseError(f"{case.path}: a bare document needs --flow (no EntryPoint to start from)")
    found = FLOW_IN_ARN.search(reference)
    try:
        return find_flow_file(found.group(1) if found else reference, options.flows_dir)
    except FlowNotFound as error:
        raise TestCaseError(f"{case.path}: EntryPoint flow: {error}") from None


def run_case(case: TestCase, options: RunOptions, *, box: Sandbox | None = None) -> TestResult:
    """Run one test case on a fresh sandbox (or on `box`, whose state it then shares: the demo
    places its scripted calls so); TestCaseError when it cannot start."""
    from tandem.local import sandbox

    started = time.perf_counter()
    local = read_conditions({"Tandem": case.local})
    with contextlib.nullcontext(box) if box is not None else sandbox(attach=False) as active:
        box = active
        settings = dict(local.settings)
        resolved = resolve(case, LocalResources(dict(box.queue_arns), settings), options.flows_dir)
        flow = entry_flow(resolved, options)
        check_faults(local.block_faults(), options.flows_dir, f"{case.path}: Metadata.Tandem.Faults")
        harness = Harness(resolved, similarity=options.similarity, live_queues=options.live_queues)
        entry = resolved.entry
        caller = entry.caller if entry and entry.caller else options.caller
        config = SimulationConfig(
            **local.simulation_kwargs(),
            caller=WITHHELD_CALLER if local.withheld else caller,
            channel=entry.channel if entry else options.channel,
            max_steps=options.max_steps,
            attributes=resolved.attributes,
            responder=harness.respond,
            observer=harness.observe,
            override=harness.override,
            flows_dir=options.flows_dir,
        )
        outage = box.crm_outage() if local.crm_down else contextlib.nullcontext()
        try:
            with outage:
                result = simulate(flow, box=box, config=config)
        except FlowNotFound as error:
            raise TestCaseError(f"{case.path}: {error}") from None
    failures = harness.finish()
    if result.stopped:
        failures.insert(0, f"the contact did not end within the step budget: {result.stopped}")
    return TestResult(
        resolved.name,
        case.path,
        harness.matched,
        failures,
        result,
        harness.events,
        dict(harness.effects.logged),
        time.perf_counter() - started,
        [
            f"override of {target} ({o.strategy} {o.value}) never used".replace(" )", ")")
            for target, _, o in harness.effects.overrides
        ],
    )
