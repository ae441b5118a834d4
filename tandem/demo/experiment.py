"""`tandem demo --calls N --experiment deflect|harmful|aa [--days D]`: an experiment on live calls.

The demo pushes an experiment document (`experiment_document`: the mode's challenger on half the
callers, by caller, judged on the resolution rate with three guardrails), then runs D simulated
days (`tandem.demo.experiment_callers.calling_days`) of N new callers each, plus the callers who
ring back, through the inbound flow on the real handlers. Each day's contact records go to the real
ctr_ingest when the day is over, then the guard runs at 23:30 New York (`run_guard`), and the next
day starts with fresh ivr_decision containers: a day is far longer than the documents' refresh
interval, so whatever the guard wrote is what the next day's calls meet. The end is `tandem
experiment status` for the experiment as of the last evening (`tandem.experiment_read.read_status`),
and the counters checked against what the simulator said of every call (`tandem.demo.kpis`).

- `deflect` (examples/candidates/deflect-order-status.json): more order-status calls answered by the
  machine. Containment rises; so do recontacts, as callers the machine could not help ring back; the
  resolution rate (contained and not recontacted) barely moves.
- `harmful` (examples/candidates/keep-in-self-service.json): callers who ask for a person are kept
  in self-service. They give up or insist, rate low and ring back: a guardrail trips, the guard
  writes the stop, and every call after it gets the champion.
- `aa`: the challenger is the champion's own rules: nothing may stop it.
"""

from __future__ import annotations

import json
import random
import sys
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from lambdas.documents.registry import bundled_defaults, parse_text
from lambdas.policy.calendar import Calendar
from lambdas.shared.counters import CHALLENGER, CHAMPION
from lambdas.shared.experiment_stats import using
from lambdas.shared.tables import METRICS
from tandem.demo.experiment_callers import (
    NEW_YORK,
    ExperimentCaller,
    PlannedCall,
    calling_days,
    new_callers,
    ring_back,
)
from tandem.demo.kpis import CENTRE_ZONE, RECONTACT_WINDOW, CallRecords, Delivery, KpiRun, PlacedForKpis
from tandem.demo.scenarios import call_inbound, decision_variant, last_answer
from tandem.experiment_read import read_status
from tandem.experiment_status import STOPPED, Status
from tandem.flows.simulator import SimulationConfig, SimulationResult
from tandem.kpi import Totals
from tandem.kpi_report import Provisional
from tandem.local import Sandbox, sandbox
from tandem.output import ProgressBar, emit_json, table
from tandem.rules_store import SANDBOX_CONFIG_PATH, push_document
from tandem.stats_scipy import SCIPY

CANDIDATES = Path(__file__).resolve().parents[2] / "examples" / "candidates"
MODES = {
    "deflect": "deflect-order-status.json",
    "harmful": "keep-in-self-service.json",
    "aa": "",  # the champion's own rules: an A/A experiment
}
DEFAULT_DAYS = 15  # three working weeks: the harmful challenger stops and the deflect one tells its story
MAX_DAYS = 60
SHARE = 0.5  # of callers to the challenger
GUARD_AT = time(23, 30)  # New York: the guard's daily run, after the day's records are in
NOT_IN_EXPERIMENT = "none"  # a call decided outside the experiment (stopped, or no decision)
# What may not get worse in every mode's experiment, and by how much (a difference of the rates).
# Recontacts: deflecting calls is expected to bring some callers back, so only a large rise stops
# it. Not the abandon rate: the simulator puts every queued caller through to an agent, so no call
# abandons, and a guardrail that cannot trip would only split alpha further.
GUARDRAILS = (
    {"metric": "recontactRate", "better": "lower", "maxWorsening": 0.1},
    {"metric": "lowCsatShare", "better": "lower", "maxWorsening": 0.03},
)
PRIMARY = {"metric": "resolutionRate", "better": "higher"}
# The bundled content has no answer for a caller who asks for a person (the champion never gives
# one), so ivr_decision would send them to a person whatever a rule says: the demo pushes the
# content with this answer, which only the harmful challenger's rule ever serves.
AGENT_REQUEST_ANSWER = {
    "en": "Most questions are answered fastest right here: you can check an order, returns and our "
    "opening hours on this line, any time.",
}
MINIMUM_DETECTABLE_EFFECT = 0.03


def experiment_document(mode: str, days: list[date]) -> dict[str, Any]:
    """The mode's experiment over `days` (midnight to midnight, New York), as `tandem rules push` takes it."""
    file = MODES[mode]
    challenger = (
        json.loads((CANDIDATES / file).read_text())
        if file
        else json.loads(bundled_defaults(("rules",))["rules"].canonical_text)
    )
    start = datetime.combine(days[0], time(0), tzinfo=NEW_YORK)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=NEW_YORK)
    return {
        "kind": "tandem/ivr-experiment",
        "schemaVersion": 1,
        "revision": f"demo.{mode}",
        "description": f"tandem demo --experiment {mode}: {file or 'the champion against itself'}",
        "experiment": {
            "id": f"demo-{mode}",
            "challenger": challenger,
            "share": SHARE,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "unit": "caller",
            "primaryMetric": PRIMARY,
            "alpha": 0.05,
            "power": 0.8,
            "minimumDetectableEffect": MINIMUM_DETECTABLE_EFFECT,
            "guardrails": list(GUARDRAILS),
        },
    }


def demo_content() -> dict[str, Any]:
    """The bundled content document, with an answer for a caller who asks for a person."""
    content: dict[str, Any] = json.loads(bundled_defaults(("content",))["content"].canonical_text)
    content["revision"] = f"{content['revision']}.demo-experiment"
    content["answers"]["AGENT_REQUEST"] = AGENT_REQUEST_ANSWER
    return content


def scheduled_event(moment: datetime) -> dict[str, Any]:
    """The EventBridge event a schedule sends the guard at `moment`."""
    from tandem.local.provision import DEFAULT_REGION, FAKE_ACCOUNT

    return {
        "version": "0",
        "id": f"demo-guard-{moment:%Y%m%d}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": FAKE_ACCOUNT,
        "time": moment.astimezone(CENTRE_ZONE).isoformat(),
        "region": DEFAULT_REGION,
        "resources": [f"arn:aws:events:{DEFAULT_REGION}:{FAKE_ACCOUNT}:rule/tandem-experiment-guard"],
        "detail": {},
    }


def run_guard(box: Sandbox, moment: datetime) -> dict[str, Any]:
    """The guard's scheduled run at `moment`, with the handlers' clock there; its one-line summary."""
    with box.clock(moment):
        return dict(box.invoke("experiment_guard", scheduled_event(moment)))


@dataclass
class DayFigures:
    """One simulated day: its calls by variant and outcome, the guard's answer, the evening's look."""

    day: date
    calls: int = 0
    ring_backs: int = 0
    variants: Counter[str] = field(default_factory=Counter)
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)  # variant → outcome → calls
    guard: dict[str, Any] = field(default_factory=dict)
    look: Status | None = None
    delivery: Delivery | None = None

    def add(self, call: PlannedCall, variant: str, outcome: str) -> None:
        self.calls += 1
        self.ring_backs += call.ring_back
        self.variants[variant] += 1
        self.outcomes.setdefault(variant, Counter())[outcome] += 1

    def to_dict(self) -> dict[str, Any]:
        look = self.look
        return {
            "day": self.day.isoformat(),
            "calls": self.calls,
            "ringBacks": self.ring_backs,
            "variants": dict(sorted(self.variants.items())),
            "outcomes": {v: dict(sorted(o.items())) for v, o in sorted(self.outcomes.items())},
            "guard": self.guard,
            "look": None if look is None else _look(look),
        }


def _look(status: Status) -> dict[str, Any]:
    """What the evening's status says: contacts per arm so far, each guardrail, the verdict."""
    return {
        "contacts": {arm.name: arm.totals["contacts"] for arm in status.arms},
        "guardrails": {
            c.guardrail.metric: {
                "difference": None if c.comparison is None else round(c.comparison.difference, 4),
                "likelihoodRatio": None if c.look is None else c.look.likelihood_ratio,
                "tripped": c.tripped,
            }
            for c in status.guardrails
        },
        "verdict": status.verdict,
    }


@dataclass
class ExperimentRun:
    mode: str
    calls: int
    days: list[date]
    seed: int
    figures: list[DayFigures]
    status: Status
    kpis: KpiRun
    seconds: float

    @property
    def stopped_on(self) -> date | None:
        """The day at whose end the guard stopped the experiment, None when it did not."""
        return next((f.day for f in self.figures if f.guard.get("action") == "stopped"), None)

    def challenger_after_stop(self) -> int:
        stopped = self.stopped_on
        return sum(f.variants[CHALLENGER] for f in self.figures if stopped is not None and f.day > stopped)

    def problems(self) -> list[str]:
        found = [f"the counters disagree with the calls: {p}" for p in self.kpis.disagreements()]
        if self.challenger_after_stop():
            found.append(f"{self.challenger_after_stop()} calls got the challenger after the stop")
        errors = [f.guard for f in self.figures if f.guard.get("action") == "error"]
        found += [f"the guard failed: {json.dumps(e)}" for e in errors]
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "callsPerDay": self.calls,
            "seed": self.seed,
            "days": [f.to_dict() for f in self.figures],
            "stoppedOn": None if self.stopped_on is None else self.stopped_on.isoformat(),
            "challengerCallsAfterStop": self.challenger_after_stop(),
            "status": self.status.to_dict(),
            "kpis": {
                "calls": self.kpis.calls,
                "records": self.kpis.records,
                "expected": self.kpis.expected,
                "disagreements": self.kpis.disagreements(),
            },
            "problems": self.problems(),
            "seconds": round(self.seconds, 2),
        }


def simulate_experiment(
    mode: str, calls: int, days: int, *, seed: int = 7, progress: TextIO | None = None
) -> ExperimentRun:
    """Push the mode's experiment, run the days with the guard each evening, read the status."""
    calendar = bundled_defaults(("calendar",))["calendar"].value
    assert isinstance(calendar, Calendar)
    schedule = calling_days(calendar, days)
    document = experiment_document(mode, schedule)
    rng = random.Random(f"experiment {mode} {seed}")
    # Its own seed, so the records' times never change the calls.
    records = CallRecords(random.Random(f"contact records {seed}"))
    # New callers only: how many ring back is not known until their calls are over.
    bar = ProgressBar(calls * days, progress or sys.stderr, unit="new calls")
    placed = 0
    started = clock.perf_counter()
    figures: list[DayFigures] = []
    waiting: list[PlannedCall] = []  # ring-backs, on later days
    delivered = 0  # records streamed so far
    # In-process always: the demo pushes an experiment and the guard may stop it, which must not
    # touch a `tandem sandbox up` server's documents.
    with sandbox(history=False, attach=False) as box:
        ssm, dynamodb = box.client("ssm"), box.client("dynamodb")
        table_name = box.table_names[METRICS.env_var]
        push_document(ssm, SANDBOX_CONFIG_PATH, parse_text(json.dumps(demo_content())))
        push_document(ssm, SANDBOX_CONFIG_PATH, parse_text(json.dumps(document)))
        for number, day in enumerate(schedule):
            box.cold_start("ivr_decision")  # a day later, every container has read the documents again
            today = new_callers(day, number * calls, calls, rng, calendar)
            today += [c for c in waiting if c.moment.date() == day]
            waiting = [c for c in waiting if c.moment.date() != day]
            tally = DayFigures(day)
            figures.append(tally)
            for call in sorted(today, key=lambda c: c.moment):
                caller, result = _place(box, call)
                tally.add(call, _variant(result), result.outcome)
                records.add(PlacedForKpis(result, call.moment, call.caller))
                if not call.ring_back:
                    placed += 1
                    bar.update(placed)
                if not caller.solved(result) and (again := ring_back(call, caller, schedule, rng, calendar)):
                    waiting.append(again)
            tally.delivery = records.stream_new(box, f"day {day}", since=delivered)
            delivered = len(records.records)
            evening = datetime.combine(day, GUARD_AT, tzinfo=NEW_YORK)
            tally.guard = run_guard(box, evening)
            tally.look = _status(ssm, dynamodb, table_name, evening)
        bar.finish()
        deliveries = [f.delivery for f in figures if f.delivery is not None]
        kpis = records.kpi_run(box, deliveries, Totals(), {}, by_rule=True)
        last_evening = datetime.combine(schedule[-1], GUARD_AT, tzinfo=NEW_YORK)
        status = _status(ssm, dynamodb, table_name, last_evening)
    return ExperimentRun(mode, calls, schedule, seed, figures, status, kpis, clock.perf_counter() - started)


def _place(box: Sandbox, call: PlannedCall) -> tuple[ExperimentCaller, SimulationResult]:
    """One call through the inbound flow at its moment, answered by its caller model."""
    caller = ExperimentCaller(call)
    config = SimulationConfig(
        caller=call.caller,
        hours=call.hours,
        queue_wait_seconds=call.queue_wait_seconds,
        at=call.moment,
        responder=caller,
    )
    return caller, call_inbound(box, config)


def _variant(result: SimulationResult) -> str:
    """The variant that decided the call, or NOT_IN_EXPERIMENT when none did."""
    in_experiment = last_answer(result, "ivr_decision").get("experimentId")
    return decision_variant(result) if in_experiment else NOT_IN_EXPERIMENT


def _status(ssm: Any, dynamodb: Any, table_name: str, moment: datetime) -> Status:
    provisional = Provisional(CENTRE_ZONE, RECONTACT_WINDOW, moment)
    with using(SCIPY):  # as `tandem experiment status` computes it; the guard keeps its own
        return read_status(ssm, dynamodb, table_name, SANDBOX_CONFIG_PATH, provisional=provisional)


def run_experiment(mode: str, calls: int, days: int, *, seed: int = 7, output_format: str = "table") -> int:
    run = simulate_experiment(mode, calls, days, seed=seed)
    with using(SCIPY):
        if output_format == "json":
            emit_json(run.to_dict())
        else:
            print_run(run)
    return 1 if run.problems() else 0


def print_run(run: ExperimentRun) -> None:
    from tandem.experiment_tables import status_text

    first, last = run.days[0], run.days[-1]
    print(
        f"\nAn experiment on live calls: {MODES[run.mode] or 'the champion against itself (A/A)'} on "
        f"{SHARE:.0%} of callers, {run.calls} new callers a day (and those who ring back) over "
        f"{len(run.days)} working days, {first:%a %d %b %Y} to {last:%a %d %b %Y}, through "
        f"flows/inbound_main.json on the local sandbox (seed {run.seed}). Each evening ctr_ingest has "
        "the day's records and the guard looks.\n"
    )
    metrics = [str(g["metric"]) for g in GUARDRAILS]
    rows = []
    for f in run.figures:
        look = _look(f.look) if f.look is not None else None
        rows.append(
            [
                f"{f.day:%a %d %b}",
                f.calls,
                f.ring_backs,
                f.variants[CHAMPION],
                f.variants[CHALLENGER],
                *(_points(look, metric) for metric in metrics),
                f.guard.get("action", ""),
            ]
        )
    headers = ["day", "calls", "ring-backs", "champion", "challenger", *(f"Δ {m}" for m in metrics), "guard"]
    print(table(headers, rows))
    stopped = run.stopped_on
    if stopped is not None:
        print(
            f"\nThe guard stopped the experiment on the evening of {stopped:%a %d %b}; "
            f"{run.challenger_after_stop()} calls got the challenger after that."
        )
    print()
    print(status_text(run.status, "in-process sandbox"))
    print()
    for problem in run.problems():
        print(f"!! {problem}")
    e = run.kpis.expected
    if not run.problems():
        print(
            f"The counters agree with the calls: {e['contacts']} contacts, {e['contained']} contained, "
            f"{e['recontacted']} recontacted, {e['resolved']} resolved. {run.seconds:.1f} s."
        )
    if run.status.verdict == STOPPED or run.mode != "harmful":
        return
    print("!! the harmful challenger was not stopped: give it more days or calls")


def _points(look: dict[str, Any] | None, metric: str) -> str:
    if look is None:
        return ""
    found = look["guardrails"].get(metric, {})
    difference = found.get("difference")
    if difference is None:
        return "—"
    return f"{difference * 100:+.1f}" + (" TRIPPED" if found.get("tripped") else "")
