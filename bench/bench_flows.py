"""flows: simulated calls per second through the inbound flow on the real handlers; where the time goes."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import heading
from tandem.demo.scenarios import DEMO_SCENARIOS, Scenario, mismatches, place_call, scenario
from tandem.flows.simulator import SimulationConfig, simulate
from tandem.local import Sandbox, sandbox
from tandem.local.sandbox import FUNCTIONS, handler_module

CALLS_PER_SECOND_BUDGET = 20  # a floor: the scenario tests and `tandem demo` place a few dozen calls
ROUNDS = 10  # every demo scenario once per round, each round in a fresh sandbox
BASELINE_CALLS = 2000
# Warms every handler's container (clients, document store) in a fresh sandbox before the timed
# round: a scenario whose path calls all four functions, from a demo customer no scenario uses.
PRIMING_CALLER = "+12025550101"


@dataclasses.dataclass
class _Timer:
    """Seconds spent in box.invoke and, inside it, in the handlers themselves."""

    invoke: float = 0.0
    handler: float = 0.0

    def reset(self) -> None:
        self.invoke = self.handler = 0.0


def main(rounds: int = ROUNDS) -> None:
    heading("flows")
    calls = len(DEMO_SCENARIOS)
    with contextlib.redirect_stdout(io.StringIO()):  # any init logs printed at the handlers' first import
        for _ in _round(_Timer()):  # warm-up: imports, the flow cache, fake Lex
            pass
    timer = _Timer()
    timings: list[float] = []
    inside: list[float] = []  # box.invoke seconds per call
    handler_total = 0.0
    lambdas = steps = 0
    wrong: list[str] = []  # "scenario: how it differs", one per call that missed its expectation
    with _timed_handlers(timer):
        for _ in range(rounds):
            for call, elapsed, result in _round(timer):
                timings.append(elapsed)
                inside.append(timer.invoke)
                handler_total += timer.handler
                lambdas += len(result.lambda_calls)
                steps += len(result.steps)
                if found := mismatches(call, result):
                    wrong.append(f"{call.name}: {', '.join(found)}")
    total, count = sum(timings), len(timings)
    invoke_total = sum(inside)
    simulator_total = total - invoke_total
    ordered = sorted(timings)
    p50, p95 = statistics.median(ordered) * 1000, ordered[int(count * 0.95)] * 1000
    rate = count / total
    print(
        f"inbound flow, the {calls} demo scenarios x {rounds} rounds ({count} calls; a fresh sandbox "
        "per round, containers primed, setup not timed)"
    )
    print(f"calls per second: {rate:.0f} (budget >= {CALLS_PER_SECOND_BUDGET}: {_floor(rate)})")
    print(f"per call: p50 {p50:.1f} ms, p95 {p95:.1f} ms wall time")
    print(f"per call: {lambdas / count:.2f} Lambda invocations, {steps / count:.1f} flow steps (averages)")
    invoke_share, handler_share = invoke_total / total, handler_total / total
    print(
        f"time in box.invoke: {invoke_share:.0%} (the handlers, moto included, {handler_share:.0%}; "
        f"the sandbox's log and metric capture {invoke_share - handler_share:.0%}); "
        f"the simulator's own interpretation: {simulator_total / total:.0%}"
    )
    per_call_ms, per_step_us = simulator_total / count * 1000, simulator_total / steps * 1_000_000
    print(
        f"simulator overhead: {simulator_total / invoke_total:.2f} x the time in box.invoke, "
        f"{per_call_ms:.2f} ms per call, {per_step_us:.0f} µs per step"
    )
    print(
        f"calls that ended otherwise than their scenario expects: {len(wrong)} of {count} "
        + ("(as expected: 0)" if not wrong else f"(expected 0): {'; '.join(wrong[:3])}")
    )
    _flow_only()


def _round(timer: _Timer) -> Iterator[tuple[Scenario, float, Any]]:
    """Each demo scenario once in a fresh, primed sandbox: (scenario, seconds, result)."""
    with sandbox(attach=False) as box:
        place_call(box, dataclasses.replace(scenario("asks-for-person"), caller=PRIMING_CALLER))
        _time_invoke(box, timer)
        for call in DEMO_SCENARIOS:
            timer.reset()
            started = time.perf_counter()
            result = place_call(box, call)
            yield call, time.perf_counter() - started, result


def _time_invoke(box: Sandbox, timer: _Timer) -> None:
    """Time every box.invoke on this sandbox instance (the simulator calls it for each Lambda block)."""
    invoke = box.invoke

    def timed(function_name: str, event: Any) -> dict[str, str]:
        started = time.perf_counter()
        try:
            return invoke(function_name, event)
        finally:
            timer.invoke += time.perf_counter() - started

    box.invoke = timed  # type: ignore[method-assign]


@contextlib.contextmanager
def _timed_handlers(timer: _Timer) -> Iterator[None]:
    """Time each handler's lambda_handler (box.invoke looks it up on the module at every call)."""
    modules = [handler_module(name) for name in FUNCTIONS]
    saved = [m.lambda_handler for m in modules]
    for module, handler in zip(modules, saved, strict=True):
        module.lambda_handler = _timing(handler, timer)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, handler in zip(modules, saved, strict=True):
            module.lambda_handler = handler  # type: ignore[attr-defined]


def _timing(handler: Callable[[Any, Any], Any], timer: _Timer) -> Callable[[Any, Any], Any]:
    def timed(event: Any, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return handler(event, context)
        finally:
            timer.handler += time.perf_counter() - started

    return timed


def _flow_only() -> None:
    """A flow with no Lambda (attributes, prompts, input, compares): the simulator alone."""
    attributes = {"caller": "$.CustomerEndpoint.Address", "language": "$.LanguageCode", "menu": "main"}
    actions = [
        _action("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, "attrs"),
        _action("attrs", "UpdateContactAttributes", {"Attributes": attributes}, "flowattrs"),
        _action(
            "flowattrs",
            "UpdateFlowAttributes",
            {"FlowAttributes": {"tries": {"Value": "0", "Persist": False}}},
            "hello",
        ),
        _action("hello", "MessageParticipant", {"Text": "Hello $.Attributes.caller"}, "menu"),
        _action(
            "menu",
            "GetParticipantInput",
            {"Text": "Press 1 or 2", "StoreInput": "False", "InputTimeLimitSeconds": "5"},
            "bye",
            conditions=("1", "2"),
            target="check",
        ),
        _action(
            "check",
            "Compare",
            {"ComparisonValue": "$.Attributes.language"},
            "bye",
            conditions=("en-US",),
            target="done",
        ),
        _action("done", "UpdateContactAttributes", {"Attributes": {"tandemOutcome": "SELF_SERVED"}}, "bye"),
        _action("bye", "MessageParticipant", {"Text": "Goodbye"}, "end"),
        {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ]
    document = {"Version": "2019-10-30", "StartAction": "log", "Actions": actions}
    with tempfile.TemporaryDirectory() as folder, sandbox(attach=False, seed=False) as box:
        path = Path(folder) / "flow_only.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        config = SimulationConfig(inputs=["1"])
        result = simulate(path, box=box, config=config)  # warm-up: loads and caches the flow
        steps = len(result.steps)
        started = time.perf_counter()
        for _ in range(BASELINE_CALLS):
            simulate(path, box=box, config=config)
        elapsed = time.perf_counter() - started
    per_call = elapsed / BASELINE_CALLS
    print(
        f"flow-only baseline ({steps} steps, no Lambda, {BASELINE_CALLS} calls): "
        f"{per_call * 1000:.2f} ms per call, {per_call / steps * 1_000_000:.0f} µs per step, "
        f"{1 / per_call:.0f} calls per second ({result.outcome})"
    )


def _action(
    identifier: str,
    type_: str,
    parameters: dict[str, Any],
    then: str,
    *,
    conditions: tuple[str, ...] = (),
    target: str = "",
) -> dict[str, Any]:
    transitions: dict[str, Any] = {"NextAction": then}
    if conditions:
        transitions["Conditions"] = [
            {"NextAction": target, "Condition": {"Operator": "Equals", "Operands": [c]}} for c in conditions
        ]
        transitions["Errors"] = [{"NextAction": then, "ErrorType": "NoMatchingCondition"}]
    return {"Identifier": identifier, "Type": type_, "Parameters": parameters, "Transitions": transitions}


def _floor(value: float) -> str:
    return "within budget" if value >= CALLS_PER_SECOND_BUDGET else "UNDER BUDGET"


if __name__ == "__main__":
    main()
