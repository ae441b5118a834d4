"""The engine: runs one contact through a flow, action by action, and the hook flows it meets.

Each action goes to its block handler (`blocks.HANDLERS`), which reads and changes the `Contact`
and answers with the branch to take; the engine follows it, records the step and the coverage,
and stops runaway flows with a step guard and a per-action visit guard. `simulate` is the entry
point: one `SimulationConfig` in, one `SimulationResult` out.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flowdoc.testcase import OBSERVED_ACTIONS
from tandem.flows.simulator.blocks import HANDLERS, started_parameters
from tandem.flows.simulator.config import EndContact, SimulationConfig
from tandem.flows.simulator.contact import Contact, FlowKind, Next, QueueWaitOver
from tandem.flows.simulator.flows import (
    NEXT,
    NO_MATCHING_CONDITION,
    NO_MATCHING_ERROR,
    Flow,
    LocalResources,
    branches,
    find_flow_file,
    is_condition,
    load,
)
from tandem.flows.simulator.results import FlowCoverage, SimulationResult, Step
from tandem.local.connect_fake import QueueValues
from tandem.local.sandbox import Sandbox

QUEUE_FLOW_VISITS = 12  # a customer-queue flow that loops this often: an agent answers
# Escalation's default average handle time (lambdas/documents/defaults/escalation.json), used
# to build a queue whose estimated wait is what the caller of `simulate` asked for.
AVERAGE_HANDLE_SECONDS = 300
QUIET_QUEUE = QueueValues(
    agents_available=2, agents_staffed=5, contacts_in_queue=0, oldest_contact_age_seconds=0
)


def simulate(flow: str | Path, *, box: Sandbox, config: SimulationConfig | None = None) -> SimulationResult:
    """Run one contact, set up by `config`, through `flow` (a name in `config.flows_dir` or a path);
    see the `tandem.flows.simulator` docstring.

    Raises FlowNotFound (one line) when the starting flow cannot be found or read; everything that
    goes wrong after that is in the result (`stopped`, `warnings`, error branches taken).
    """
    config = config or SimulationConfig()
    resources = LocalResources(dict(box.queue_arns), dict(config.settings))
    start = load(find_flow_file(flow, config.flows_dir), resources)
    load_values = queue_values(config.queue_wait_seconds)
    apply_queue_load(box, load_values)
    contact = Contact(config, box=box, resources=resources, queue_load=load_values)
    engine = Engine(contact, max_steps=config.max_steps, max_visits=config.max_visits)
    stopped = ended = ""
    with box.clock(config.moment):
        try:
            contact.observe("started", start.name, {})
            engine.run(start, "inbound")
        except GuardStop as stop:
            stopped = str(stop)
        except EndContact as end:
            ended = str(end)
            contact.disconnected = True
    return SimulationResult(
        flow=start.name,
        contact_id=contact.contact_id,
        steps=contact.steps,
        lambda_calls=contact.lambda_calls,
        prompts=contact.prompts,
        outcome="error" if stopped else contact.outcome,
        queue=contact.outcome_queue,
        priority=contact.priority if contact.outcome_queue else None,
        attributes=dict(contact.attributes),
        warnings=contact.warnings,
        coverage=contact.coverage,
        stopped=stopped,
        callback_number=contact.callback_number,
        hooks=dict(contact.hooks),
        inputs_left=list(contact.inputs),
        ended=ended,
    )


class GuardStop(Exception):
    """A guard stopped the run: too many steps, an action visited too often, a dangling target."""


class Engine:
    """Drives one contact through flows; `run` returns when the flow it started in has ended."""

    def __init__(self, contact: Contact, *, max_steps: int, max_visits: int) -> None:
        self.contact = contact
        self.max_steps = max_steps
        self.max_visits = max_visits
        self.visits: dict[tuple[str, str], int] = {}
        self.hooks_run: set[str] = set()
        self._warned_types: set[str] = set()

    def run(self, flow: Flow, kind: FlowKind, *, visit_limit: int | None = None) -> None:
        """Run `flow` (and flows it transfers to) until it ends."""
        contact = self.contact
        limit = visit_limit or self.max_visits
        visits = self.visits if visit_limit is None else {}
        contact.namespace["FlowAttributes"] = {}
        coverage = self._coverage(flow)
        action_id, where = flow.start, "StartAction"
        while True:
            action = flow.actions.get(action_id)
            if action is None:
                raise GuardStop(f"flow {flow.name}: {where} points to {action_id!r}, which is not an action")
            if len(contact.steps) >= self.max_steps:
                raise GuardStop(
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
                    raise QueueWaitOver(f"{message}; an agent answers the waiting caller")
                raise GuardStop(message)
            action_type = str(action.get("Type", ""))
            fault = contact.block_faults.get(f"{flow.name}/{action_id}")
            if fault is not None:  # a local-only block fault: the error branch, the block not run
                failed = fault or NO_MATCHING_ERROR
                go = Next(failed, f"injected fault: {failed} (the block did not run)")
            else:
                if action_type in OBSERVED_ACTIONS:
                    contact.observe(
                        "action", flow.name, action, parameters=started_parameters(contact, action)
                    )
                go = self._handle(contact, flow, action, action_type, kind)
            if go.flow is not None:  # TransferToFlow: this flow ends, the target starts
                self._step(flow, action_id, action_type, "", go)
                flow, coverage = go.flow, self._coverage(go.flow)
                action_id, where = flow.start, "StartAction"
                contact.namespace["FlowAttributes"] = {}
                kind = "transfer" if kind == "inbound" else kind
                continue
            if go.branch is None:
                self._step(flow, action_id, action_type, "", go)
                if go.enters_queue:
                    self.after_queued()
                return
            branch, target = self._follow(action, go.branch)
            self._step(flow, action_id, action_type, branch, go)
            if target is None:
                contact.warnings.append(
                    f"{flow.name}: action {action_id!r} ({action_type}) has no {go.branch} branch "
                    "and no NextAction; the flow ends there"
                )
                return
            coverage.taken.add((action_id, branch))
            action_id, where = target, f"the {branch} branch of {action_id!r}"

    def _handle(
        self, contact: Contact, flow: Flow, action: dict[str, Any], action_type: str, kind: FlowKind
    ) -> Next:
        handler = HANDLERS.get(action_type)
        if handler is None:
            return self._unmodelled(flow, action, action_type)
        return handler(contact, flow, action, kind)

    def _follow(self, action: dict[str, Any], branch: str) -> tuple[str, str | None]:
        """The branch taken and its target; an error falls back to NoMatchingError, then NextAction
        (NoMatchingCondition straight to NextAction)."""
        candidates = [branch]
        # An unmatched condition is the block's default, not a failure: without a
        # NoMatchingCondition branch it is NextAction.
        if branch not in (NEXT, NO_MATCHING_ERROR, NO_MATCHING_CONDITION) and not is_condition(branch):
            candidates.append(NO_MATCHING_ERROR)
        if branch != NEXT:
            candidates.append(NEXT)
        targets = dict(branches(action))
        for candidate in candidates:
            if candidate in targets:
                return candidate, targets[candidate]
        return branch, None

    def _coverage(self, flow: Flow) -> FlowCoverage:
        coverage = self.contact.coverage.get(flow.name)
        if coverage is None:
            coverage = self.contact.coverage[flow.name] = FlowCoverage(flow.transitions)
            if flow.unresolved:
                self.contact.warnings.append(
                    f"{flow.name}: placeholders of unknown types left as written: "
                    + ", ".join(flow.unresolved)
                )
        return coverage

    def _step(self, flow: Flow, action_id: str, action_type: str, branch: str, go: Next) -> None:
        self.contact.steps.append(Step(flow.name, action_id, action_type, branch, go.note, go.said))

    def _unmodelled(self, flow: Flow, action: dict[str, Any], action_type: str) -> Next:
        if action_type not in self._warned_types:
            self._warned_types.add(action_type)
            self.contact.warnings.append(
                f"{flow.name}: action type {action_type or '(none)'} is not modelled by the simulator; "
                "followed its NextAction"
            )
        transitions = action.get("Transitions") or {}
        if isinstance(transitions, dict) and NEXT in transitions:
            return Next(NEXT, "not modelled: took NextAction")
        return Next(None, "not modelled; no NextAction: the flow ends here")

    # -- hooks

    def run_hook(self, hook: str, kind: FlowKind, *, visit_limit: int | None = None) -> bool:
        """Run the flow set for `hook`, once per contact; False when none ran."""
        contact = self.contact
        reference = contact.hooks.get(hook)
        if not reference or hook in self.hooks_run:
            return False
        self.hooks_run.add(hook)
        flow = contact.find_flow(reference)
        if flow is None:
            contact.warnings.append(f"{hook} hook: no flow found for {reference!r}; not run")
            return False
        # A hook flow is its own execution: no Lambda result or Lex turn of the inbound flow.
        external, lex = contact.namespace["External"], contact.namespace["Lex"]
        contact.namespace["External"], contact.namespace["Lex"] = {}, {}
        try:
            self.run(flow, kind, visit_limit=visit_limit)
        finally:
            contact.namespace["External"], contact.namespace["Lex"] = external, lex
        return True

    def after_queued(self) -> None:
        """The wait in queue, an agent, and the customer left on the line after the agent hangs up."""
        contact = self.contact
        if contact.queue_wait_seconds is not None and "CustomerQueue" in contact.hooks:
            try:
                self.run_hook("CustomerQueue", "queue", visit_limit=QUEUE_FLOW_VISITS)
            except QueueWaitOver as over:
                contact.steps.append(Step(contact.steps[-1].flow, "", "(agent)", "", str(over)))
        if contact.disconnected or (contact.trail and contact.trail[-1] != "queued"):
            return
        self.run_hook("AgentWhisper", "whisper")
        self.run_hook("CustomerRemaining", "remaining")


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
    its queue metrics start afresh (an empty cache and a full rate limiter, as in a new container)
    and the next call sees the new figures.
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
        box.forget_queue_metrics()
