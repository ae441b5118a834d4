"""Warm handler time over the same AWS calls made directly, on the same moto backend.

For each Connect-facing function: one warm invocation of the real handler (stdout, where Lambda
writes its logs and EMF metrics, goes to a sink), then the very requests that invocation sent
(captured from botocore's `provide-client-params`), replayed on a client made as the handler makes
its own (`make_client`: the same service model, slim or full, and the same limits), interleaved, so
machine noise hits both sides. The ratio of the medians is what the handler
adds on top of its AWS calls: parsing, deciding, the time budget, logging and metrics.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore import xform_name

from bench.common import heading, verdict
from lambdas.shared.aws import make_client
from tandem.demo.events import DemoCall, contact_event
from tandem.local import Sandbox, sandbox
from tandem.local.sandbox import FakeLambdaContext, handler_module

RATIO_GOAL = 1.10
INVOCATIONS = 400
MONDAY_10_NY = datetime(2026, 11, 23, 15, tzinfo=UTC)
# Every invocation does its AWS work: the CRM cache is off, and the documents are not re-read.
ENV = {
    "LOOKUP_CACHE_TTL_SECONDS": "0",
    "LOOKUP_NOT_FOUND_TTL_SECONDS": "0",
    "IVR_RULES_MAX_AGE_SECONDS": "3600",
}
# Where each function's DynamoDB client limits are stated: the direct calls use the same.
LIMITS = {
    "ivr_decision": "lambdas.ivr_decision.handler",
    "crm_lookup": "lambdas.crm_lookup.handler",
    "escalation": "lambdas.escalation.deps",
    "survey": "lambdas.survey.handler",
}
QUEUE_METRICS = {
    "agentsAvailable": "1",
    "agentsStaffed": "4",
    "contactsInQueue": "3",
    "oldestContactAgeSeconds": "60",
}


def _event(address: str, **parameters: str) -> dict[str, Any]:
    raw = contact_event(DemoCall("bench", address), 1)
    raw["Details"]["Parameters"] = parameters
    return raw


EVENTS: dict[str, dict[str, Any]] = {
    "ivr_decision": _event("+12025550101", intent="Returns", intentConfidence="0.9"),
    "crm_lookup": _event("+12025550101"),
    "escalation": _event(
        "+12025550102", route="AGENT", reasons="ASKED_FOR_AGENT", intent="ORDER_STATUS", **QUEUE_METRICS
    ),
    "survey": _event("+12025550101", csat="4", route="SELF_SERVICE", queue="", intent="OrderStatus"),
}


class _Sink:
    """Lambda's stdout: written to, never read."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class _Requests:
    """The API requests clients send while `recording`: (operation, parameters)."""

    def __init__(self) -> None:
        self.recording = False
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.services: set[str] = set()  # the models the requests were made with (slim or full)

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.recording:
            self.seen.append((model.name, copy.deepcopy(params)))
            self.services.add(model.service_model.service_name)

    @contextlib.contextmanager
    def record(self) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        self.seen, self.services, self.recording = [], set(), True
        try:
            yield self.seen
        finally:
            self.recording = False


def main(invocations: int = INVOCATIONS) -> dict[str, tuple[float, float]]:
    """Print and return each function's (wall-time ratio, CPU-time ratio)."""
    heading("warm handler time over the same AWS calls made directly (same moto backend)")
    ratios: dict[str, tuple[float, float]] = {}
    with sandbox(attach=False, env=ENV) as box, box.clock(MONDAY_10_NY):
        requests = _Requests()
        # Before the first invocation builds the handlers' clients, so they carry the hook too.
        session = boto3.DEFAULT_SESSION._session  # type: ignore[union-attr]
        session.get_component("event_emitter").register("provide-client-params", requests)
        for function, event in EVENTS.items():
            handler, direct, sent = _pair(box, function, event, requests)
            mine, raw = _interleaved(handler, direct, invocations)
            ratios[function] = (mine.wall / raw.wall, mine.cpu / raw.cpu)
            print(
                f"{function}: handler {mine.wall * 1000:.2f} ms wall, {mine.cpu * 1000:.2f} ms CPU; "
                f"{' + '.join(sent)} directly {raw.wall * 1000:.2f} ms wall, {raw.cpu * 1000:.2f} ms CPU "
                f"(medians of {invocations}, interleaved)"
            )
    print(
        "ratios (wall: what the flow waits; CPU: every thread's work, blind to a busy machine's "
        "scheduling, so the hand-over to the budget's worker costs only its own work):"
    )
    for function, (wall, cpu) in ratios.items():
        print(
            f"  {function}: wall {wall:.2f} (goal ≤ {RATIO_GOAL}: {verdict(wall, RATIO_GOAL)}), "
            f"CPU {cpu:.2f} (goal ≤ {RATIO_GOAL}: {verdict(cpu, RATIO_GOAL)})"
        )
    return ratios


def _pair(
    box: Sandbox, function: str, event: dict[str, Any], requests: _Requests
) -> tuple[Callable[[], object], Callable[[], object], list[str]]:
    """The warm handler and the same requests sent directly; fails if the invocation was not warm."""
    module = handler_module(function)

    def handler() -> object:
        context = FakeLambdaContext(function)
        with contextlib.redirect_stdout(_Sink()):
            return module.lambda_handler(event, context)

    handler()  # cold: builds the container's clients, reads the documents
    with requests.record() as seen:
        response = handler()
    if response.get("status") != "OK" or len(seen) != 1:
        raise RuntimeError(f"{function}: expected one AWS call and OK, got {response} after {seen}")
    # The same kind of client as the handler's: its model (the slim DynamoDB one) and its limits.
    (service,) = requests.services
    client = make_client(service, importlib.import_module(LIMITS[function]).DYNAMODB_LIMITS)
    calls = [(getattr(client, xform_name(operation)), params) for operation, params in seen]

    def direct() -> object:  # the handler builds its request each time; botocore leaves it unchanged
        return [call(**params) for call, params in calls]

    return handler, direct, [operation for operation, _ in seen]


@dataclass(frozen=True)
class Cost:
    wall: float  # seconds, median
    cpu: float  # seconds of the process's CPU (all threads), median


def _interleaved(mine: Callable[[], object], raw: Callable[[], object], count: int) -> tuple[Cost, Cost]:
    for _ in range(20):  # warm both paths (caches, first-use imports)
        mine()
        raw()
    samples: dict[int, tuple[list[float], list[float]]] = {0: ([], []), 1: ([], [])}
    for _ in range(count):
        for side, call in enumerate((mine, raw)):
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            samples[side][1].append(time.process_time() - cpu)
            samples[side][0].append(time.perf_counter() - wall)
    mine_cost, raw_cost = (
        Cost(statistics.median(walls), statistics.median(cpus)) for walls, cpus in samples.values()
    )
    return mine_cost, raw_cost


if __name__ == "__main__":
    main()
