"""`tandem demo`: scripted calls through the real inbound flow and handlers, on the local sandbox.

Each of `tandem.demo.scenarios.DEMO_SCENARIOS` is a test case in `flows/tests/`
(`demo-<name>.json`), run by `tandem test`'s runner through `flows/inbound_main.json` by the flow
simulator, against the real Lambda handlers on moto; a case that fails is a call not as expected.
The demo prints a short trace per call
(what the caller heard and did, what each function answered, where the call went), a summary
table and the branch coverage of the flows. Then the calls become the contact trace records Connect
would stream, which the real ctr_ingest handler counts (twice: the second delivery, shuffled, must
change nothing), and the KPI report reads them back (`tandem.demo.kpis`). `--calls N` runs a
synthetic day instead (`tandem.demo.day`); `--handlers` shows each handler on its own
(`tandem.demo.handlers`).
"""

from __future__ import annotations

import contextlib
import io
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lambdas.shared.kpi import CSAT_AVERAGE, SELF_SERVICE_RATE, ratio
from tandem.demo.kpis import KpiRun, PlacedForKpis, ingest_and_report, print_kpis
from tandem.demo.replay import print_replay, replay_candidate
from tandem.demo.scenarios import (
    DEMO_SCENARIOS,
    Scenario,
    case_path,
    decision_route,
    decision_rule,
    decision_variant,
    mismatches,
    rating,
)
from tandem.demo.trace import caller_label, lambda_summary, trace_lines
from tandem.flows.simulator import CLOSED_MOMENT, OPEN_MOMENT, SimulationResult, merge_coverage
from tandem.local import Sandbox, sandbox
from tandem.output import emit_json, masked, table
from tandem.replay.projection import Projection

NEW_YORK = ZoneInfo("America/New_York")
PERSON_OUTCOMES = ("queued", "callback")
CALLS_APART = timedelta(minutes=4)  # the scripted calls' start times, from 10:00 (open) or 22:00 (closed)
CTR_SEED = 7  # the records' times (IVR, queue wait, agent) are drawn from it: the same on every run


@dataclass(frozen=True)
class PlacedCall:
    scenario: Scenario
    result: SimulationResult
    seconds: float
    failures: tuple[str, ...] = ()  # what its test case found wrong (tandem test's lines)

    @property
    def csat(self) -> str:
        value = rating(self.result)
        return "" if value is None else str(value)

    @property
    def rule(self) -> str:
        return decision_rule(self.result)


def place_scripted_calls(box: Sandbox) -> list[PlacedCall]:
    """Each scripted call's test case (flows/tests/demo-<name>.json), run by `tandem test`'s runner
    on `box`, one after another as the demo has always placed them."""
    from tandem.flowtest import RunOptions, read, run_case

    placed = []
    for scenario in DEMO_SCENARIOS:
        started = time.perf_counter()
        tested = run_case(read(case_path(scenario.name)), RunOptions(live_queues=True), box=box)
        seconds = time.perf_counter() - started
        if tested.simulation is None:  # the runner always simulates; the type allows a result without
            raise RuntimeError(f"{tested.path}: the test case ran no call")
        placed.append(PlacedCall(scenario, tested.simulation, seconds, tuple(tested.failures)))
    return placed


def run(
    output_format: str = "table", *, calls: int | None = None, seed: int = 7, handlers: bool = False
) -> int:
    if handlers:
        from tandem.demo.handlers import run as run_handlers

        return run_handlers(output_format)
    if calls is not None:
        from tandem.demo.day import run_day

        return run_day(calls, seed=seed, output_format=output_format)
    started = time.perf_counter()
    # On `tandem sandbox up`'s server when one runs here (the calls and their counters stay for
    # `tandem report`), else in-process; the KPI check is on what these calls add either way.
    with sandbox() as box:
        if box.persistent:
            release_callback_claims(box, [scenario.caller for scenario in DEMO_SCENARIOS])
        placed = place_scripted_calls(box)
        streamed = [
            PlacedForKpis(p.result, at, p.scenario.caller)
            for p, at in zip(placed, start_times(placed), strict=True)
        ]
        kpis = ingest_and_report(box, streamed, rng=random.Random(CTR_SEED), redeliver=True)
        replayed = replay_candidate(box, (kpis.report.start, kpis.report.end))
    elapsed = time.perf_counter() - started
    problems = {
        p.scenario.name: [*mismatches(p.scenario, p.result), *(f"test case: {f}" for f in p.failures)]
        for p in placed
    }
    if output_format == "json":
        replay = replayed if isinstance(replayed, str) else replayed[0]
        emit_json({**_as_json(placed, problems, elapsed), "kpis": kpis.to_dict(), "replay": replay})
    else:
        _print(placed, problems, elapsed, kpis, replayed)
    return 1 if any(problems.values()) or kpis.disagreements() else 0


def release_callback_claims(box: Sandbox, callers: list[str]) -> None:
    """Free the scripted callers' numbers for a callback again.

    On `tandem sandbox up`'s server an earlier demo's callbacks still hold these numbers (a claim
    lasts the policy's de-duplication window), and the scenarios that take a callback expect to be
    offered one: each run stages its callers as the fresh sandbox would, and touches no other number.
    """
    from lambdas.escalation.callback_claims import claim_key
    from lambdas.shared.budget import Deadline
    from lambdas.shared.tables import INTERACTIONS
    from tandem.local.sandbox import handler_module

    with contextlib.redirect_stdout(io.StringIO()):  # the function's init logs are not the demo's
        hasher = handler_module("escalation").CONTAINER.get().hash_secret.hasher(Deadline.after_ms(2000))
    if hasher is None:
        raise RuntimeError("the sandbox's keyed-hash secret is unreadable")
    dynamodb, table = box.client("dynamodb"), box.table_names[INTERACTIONS.env_var]
    for caller in sorted({c for c in callers if c.startswith("+")}):
        key = {name: {"S": value} for name, value in claim_key(hasher, caller).items()}
        dynamodb.delete_item(TableName=table, Key=key)


def start_times(placed: list[PlacedCall]) -> list[datetime]:
    """When each scripted call starts: the simulator's open or closed moment, a few minutes apart."""
    seen = {"open": 0, "closed": 0}
    times = []
    for call in placed:
        hours = call.scenario.hours
        times.append((OPEN_MOMENT if hours == "open" else CLOSED_MOMENT) + seen[hours] * CALLS_APART)
        seen[hours] += 1
    return times


def _where(result: SimulationResult) -> str:
    if result.outcome == "queued":
        return f"queued in {result.queue} at priority {result.priority}"
    if result.outcome == "callback":
        return f"callback on the {result.queue} queue"
    return result.outcome


def _conditions(scenario: Scenario) -> str:
    moment = (OPEN_MOMENT if scenario.hours == "open" else CLOSED_MOMENT).astimezone(NEW_YORK)
    parts = [f"{scenario.hours} ({moment:%a %H:%M} New York)"]
    parts.append(
        "quiet queue"
        if scenario.queue_wait_seconds is None
        else f"queue wait {scenario.queue_wait_seconds // 60} min"
    )
    if scenario.language != "en-US":
        parts.append(scenario.language)
    if scenario.crm_down:
        parts.append("CRM down")
    if scenario.speech:
        parts.append("speech (fake Lex)")
    return " · ".join(parts)


def _print(
    placed: list[PlacedCall],
    problems: dict[str, list[str]],
    elapsed: float,
    kpis: KpiRun,
    replayed: tuple[dict[str, Any], Projection] | str,
) -> None:
    print(
        f"Tandem demo: {len(placed)} scripted calls through flows/inbound_main.json on the local sandbox\n"
        "(the real Lambda handlers on moto; Lex is a fake keyword bot; no AWS account, "
        "nothing leaves this machine)\n"
    )
    for number, call in enumerate(placed, start=1):
        s = call.scenario
        print(f"[{number}] {s.title} — caller {caller_label(s.caller)} · {_conditions(s)}")
        for line in trace_lines(call.result):
            print(masked(line))
        print(f"    ⇒ {_where(call.result)}")
        for problem in problems[s.name]:
            print(f"    !! not as expected: {problem}")
        print()
    print(table(SUMMARY_HEADERS, [_summary_row(n, p) for n, p in enumerate(placed, start=1)]))
    print()
    print(_totals(placed))
    coverage = merge_coverage(*(p.result for p in placed))
    print(
        "Flow coverage by these calls (transitions taken / all): "
        + ", ".join(f"{name} {c}" for name, c in coverage.items())
    )
    print()
    print_kpis(kpis, what=f"The {len(placed)} calls")
    print_replay(replayed)
    failed = [name for name, found in problems.items() if found]
    verdict = (
        f"{len(failed)} call(s) not as expected: {', '.join(failed)}" if failed else "every call as expected"
    )
    print(f"\n{len(placed)} calls in {elapsed:.1f} s, {verdict}.")
    print(
        "Next: `tandem demo --calls 200` (a synthetic day), "
        "`tandem simulate inbound_main --caller +12025550105 --input 1 --input 1` (every step), "
        "`tandem demo --handlers` (each handler on its own), "
        "`tandem replay --rules examples/candidates/no-self-service.json` (with `tandem sandbox up`)."
    )


SUMMARY_HEADERS = [
    "#",
    "scenario",
    "caller",
    "input",
    "route",
    "rule",
    "outcome",
    "queue",
    "prio",
    "CSAT",
    "λ",
    "ms",
]


def _summary_row(number: int, call: PlacedCall) -> list[Any]:
    s, r = call.scenario, call.result
    inputs = ", ".join(i if len(i) <= 12 else i[:11] + "…" for i in s.inputs if i) or "—"
    return [
        number,
        s.title if len(s.title) <= 34 else s.title[:33] + "…",
        caller_label(s.caller),
        inputs if len(inputs) <= 26 else inputs[:25] + "…",
        decision_route(r),
        call.rule,
        r.outcome,
        r.queue,
        r.priority if r.priority is not None else "",
        call.csat,
        len(r.lambda_calls),
        round(call.seconds * 1000),
    ]


def _totals(placed: list[PlacedCall]) -> str:
    total = len(placed)
    counts: dict[str, int] = {}
    for call in placed:
        counts[call.result.outcome] = counts.get(call.result.outcome, 0) + 1
    by_outcome = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    self_service = (
        SELF_SERVICE_RATE.of({"selfServed": counts.get("self-served", 0), "contacts": total}) or 0.0
    )
    to_person = ratio(sum(counts.get(o, 0) for o in PERSON_OUTCOMES), total) or 0.0
    ratings = [int(c.csat) for c in placed if c.csat]
    average = CSAT_AVERAGE.of({"csatSum": sum(ratings), "csatCount": len(ratings)})
    csat = f"CSAT {average:.1f} from {len(ratings)} ratings" if average is not None else "no ratings"
    return (
        f"Outcomes: {by_outcome}. Self-service rate {self_service:.0%}, "
        f"to a person {to_person:.0%} (queued or called back), {csat}."
    )


def _as_json(placed: list[PlacedCall], problems: dict[str, list[str]], elapsed: float) -> dict[str, Any]:
    calls = []
    for call in placed:
        s, r = call.scenario, call.result
        calls.append(
            masked(
                {
                    "scenario": s.name,
                    "title": s.title,
                    "caller": s.caller,
                    "inputs": list(s.inputs),
                    "outcome": r.outcome,
                    "queue": r.queue,
                    "priority": r.priority,
                    "route": decision_route(r),
                    "rule": call.rule,
                    "variant": decision_variant(r),
                    "csat": call.csat,
                    "lambdaCalls": [
                        {"function": c.function, "summary": lambda_summary(c), "response": c.response}
                        for c in r.lambda_calls
                    ],
                    "heard": r.heard,
                    "trace": [line.strip() for line in trace_lines(r)],
                    "asExpected": not problems[s.name],
                    "problems": problems[s.name],
                    "milliseconds": round(call.seconds * 1000, 1),
                }
            )
        )
    coverage = merge_coverage(*(p.result for p in placed))
    return {
        "calls": calls,
        "coverage": {
            name: {"taken": len(c.taken), "transitions": len(c.transitions), "ratio": round(c.ratio, 4)}
            for name, c in coverage.items()
        },
        "seconds": round(elapsed, 3),
    }
