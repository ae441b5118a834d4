"""`tandem demo --calls N`: a synthetic day of N varied calls through the inbound flow.

The day is Monday 23 November 2026, 07:00 to 21:00 New York, so some calls come before the centre
opens at 08:00 and after it closes at 18:00. Calls bunch up mid-morning and mid-afternoon, when
the queue is longest. Callers are the demo customers (some call more than once, and the CRM
counts it), unknown numbers and withheld ones; a few speak Vietnamese or talk to the (fake) Lex
bot; the CRM is down from 14:00 to 14:20. Every caller answers the flow's prompts through a caller
model (`CallerModel`): which key they press, whether the answer helped, whether they take a
callback, how they rate the call. The same seed gives the same day.

Each call runs through `tandem.flows.simulator` on the real handlers in one sandbox, with the
handlers' clock at the call's moment and the flow's hours check agreeing with the bundled
calendar. The summary gives the day's figures: outcomes, the self-service rate (calls the IVR
answered; `lambdas.shared.kpi`), transfers, callbacks, CSAT,
by hour, by queue and by rule, and the flows' branch coverage. Then the day's calls become contact
trace records, ctr_ingest counts them from Kinesis-sized batches (100 records an event), and the
KPI report by route reads the counters back; its figures must agree with the day's outcomes
(`tandem.demo.kpis`).
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from lambdas.documents.registry import bundled_defaults
from lambdas.policy.calendar import Calendar
from lambdas.shared.kpi import (
    CALLBACK_RATE,
    CSAT_AVERAGE,
    SELF_SERVICE_RATE,
    SURVEY_RESPONSE_RATE,
    Rate,
    ratio,
)
from tandem.demo.kpis import CallRecords, KpiRun, PlacedForKpis, print_kpis
from tandem.demo.scenarios import (
    call_inbound,
    decision_route,
    decision_rule,
    decision_variant,
    rating,
    speech_settings,
)
from tandem.flows.simulator import FlowCoverage, Hours, SimulationConfig, SimulationResult, merge_coverage
from tandem.local import sandbox
from tandem.local.demo_data import DEMO_CUSTOMERS
from tandem.output import ProgressBar, emit_json, mask_phone, table

NEW_YORK = ZoneInfo("America/New_York")
DAY_START = datetime(2026, 11, 23, 7, 0, tzinfo=NEW_YORK)
DAY_HOURS = 14  # 07:00 to 21:00
# How many calls each hour gets, relatively: quiet early and late, peaks at 10-12 and 14-16.
HOUR_WEIGHTS = (2, 6, 9, 12, 12, 9, 7, 10, 11, 8, 6, 3, 2, 1)
# The longest wait, in seconds, a caller meets in each hour (the queue's estimated wait).
PEAK_WAIT_SECONDS = (0, 120, 420, 900, 1500, 600, 300, 700, 1200, 480, 180, 0, 0, 0)
CRM_OUTAGE = (datetime(2026, 11, 23, 14, 0, tzinfo=NEW_YORK), datetime(2026, 11, 23, 14, 20, tzinfo=NEW_YORK))
MENU_WEIGHTS = {"1": 30, "2": 14, "3": 12, "4": 10, "5": 7, "6": 7, "0": 15, "": 5}
RATING_WEIGHTS = {"5": 38, "4": 27, "3": 12, "2": 6, "1": 5, "": 12}  # "": hangs up without rating
UTTERANCES = (
    "where is my order",
    "I want to return something",
    "what time do you close",
    "there's a charge on my bill I don't recognise",
    "I want to make a complaint, this is the third time",
    "cancel my order please",
    "can I talk to a person",
    "um, it's about the thing",
)
VIETNAMESE_SHARE = 0.06
SPEECH_SHARE = 0.2
WITHHELD_SHARE = 0.08
UNKNOWN_SHARE = 0.14


@dataclass(frozen=True)
class DayCall:
    moment: datetime
    caller: str
    language: str
    speech: bool
    queue_wait_seconds: int | None
    crm_down: bool
    hours: Hours
    seed: int  # the caller model's own seed


class CallerModel:
    """How one synthetic caller answers the repo's flows' prompts (by action id)."""

    def __init__(self, seed: int, *, speech: bool) -> None:
        self.rng = random.Random(seed)
        self.speech = speech
        self.patience = self.rng.random()  # low: takes callbacks and hangs up on the survey
        self.helped = self.rng.random() < 0.8  # whether a self-service answer does the job

    def __call__(self, flow: str, action: str, prompt: str) -> str | None:
        rng = self.rng
        if action == "ask-by-speech":
            return rng.choice(UTTERANCES)
        if action in ("ask-menu", "ask-menu-again"):
            return _weighted(rng, MENU_WEIGHTS)
        if action == "ask-if-resolved":
            if self.helped:
                return "1"
            self.helped = rng.random() < 0.5  # the next answer may do better
            return rng.choice(("2", "2", "0", ""))
        if action in ("offer-callback", "offer-callback-closed", "offer-callback-queue-full"):
            return "1" if rng.random() > self.patience * 0.8 else rng.choice(("2", ""))
        if action in ("ask-rating", "ask-rating-again"):
            return _weighted(rng, RATING_WEIGHTS)
        return None  # a prompt this model does not know: the caller stays silent


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_day(calls: int, seed: int, calendar: Calendar) -> list[DayCall]:
    """`calls` calls spread over the day, in time order; the same seed gives the same day."""
    rng = random.Random(seed)
    known = [c for c in DEMO_CUSTOMERS if not c.language.startswith("vi")]
    vietnamese = [c for c in DEMO_CUSTOMERS if c.language.startswith("vi")]
    moments = sorted(
        DAY_START
        + timedelta(hours=rng.choices(range(DAY_HOURS), HOUR_WEIGHTS)[0], seconds=rng.uniform(0, 3600))
        for _ in range(calls)
    )
    planned = []
    for moment in moments:
        hour = int((moment - DAY_START).total_seconds() // 3600)
        draw = rng.random()
        language = "en-US"
        if draw < WITHHELD_SHARE:
            caller = "anonymous"
        elif draw < WITHHELD_SHARE + UNKNOWN_SHARE:
            caller = f"+1202555{rng.randrange(200, 10_000):04d}"  # not a demo customer
        elif vietnamese and draw < WITHHELD_SHARE + UNKNOWN_SHARE + VIETNAMESE_SHARE:
            caller, language = rng.choice(vietnamese).phone, "vi-VN"
        else:
            caller = rng.choice(known).phone
        peak = PEAK_WAIT_SECONDS[hour]
        wait = round(rng.uniform(0.3, 1.0) * peak) if peak else None
        status = calendar.status_at(moment, NEW_YORK)
        planned.append(
            DayCall(
                moment=moment,
                caller=caller,
                language=language,
                speech=language == "en-US" and rng.random() < SPEECH_SHARE,
                queue_wait_seconds=wait,
                crm_down=CRM_OUTAGE[0] <= moment < CRM_OUTAGE[1],
                hours="open" if status.is_open else "closed",
                seed=rng.randrange(2**32),
            )
        )
    return planned


@dataclass
class DayTally:
    """What the summary (and the JSON's call list) needs of the day's calls, added as each ends.

    A day of many calls keeps these counts and, for `--format json`, each call's compact row;
    never the calls' traces (`SimulationResult`), so memory does not grow with their steps.
    """

    keep_rows: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    ratings: Counter[int] = field(default_factory=Counter)
    asked: int = 0
    by_hour: dict[int, Counter[str]] = field(default_factory=dict)
    queued: dict[str, tuple[int, int]] = field(default_factory=dict)  # queue → (calls, priority sum)
    rules: Counter[str] = field(default_factory=Counter)
    lambda_calls: int = 0
    lambda_errors: int = 0
    warnings: int = 0
    coverage: dict[str, FlowCoverage] = field(default_factory=dict)

    def add(self, call: DayCall, result: SimulationResult) -> None:
        self.calls += 1
        self.outcomes[result.outcome] += 1
        if (value := rating(result)) is not None:
            self.ratings[value] += 1
        self.asked += _asked_to_rate(result)
        self.by_hour.setdefault(call.moment.hour, Counter())[result.outcome] += 1
        if result.outcome == "queued" and result.priority is not None:
            count, total = self.queued.get(result.queue, (0, 0))
            self.queued[result.queue] = (count + 1, total + result.priority)
        self.rules[decision_rule(result) or "(no decision)"] += 1
        self.lambda_calls += len(result.lambda_calls)
        self.lambda_errors += sum(1 for c in result.lambda_calls if c.error)
        self.warnings += len(result.warnings)
        self.coverage = merge_coverage(self.coverage, result)
        if self.keep_rows:
            self.rows.append(_compact(call, result))


def run_day(
    calls: int, *, seed: int = 7, output_format: str = "table", progress: TextIO | None = None
) -> int:
    calendar = bundled_defaults(("calendar",))["calendar"].value
    assert isinstance(calendar, Calendar)
    plan = plan_day(calls, seed, calendar)
    bar = ProgressBar(calls, progress or sys.stderr)
    tally = DayTally(keep_rows=output_format == "json")
    # A seed of its own, so the records' times never change the calls the day's seed gives.
    records = CallRecords(random.Random(f"contact records {seed}"))
    started = time.perf_counter()
    # On `tandem sandbox up`'s server when one runs here (the calls and their counters stay for
    # `tandem report`), else in-process; the KPI check is on what these calls add either way.
    # No invocation history: a long day would keep every handler's logs.
    with sandbox(history=False) as box:
        for call in plan:
            config = SimulationConfig(
                caller=call.caller,
                hours=call.hours,
                queue_wait_seconds=call.queue_wait_seconds,
                language=call.language,
                settings=speech_settings(call.speech),
                at=call.moment,
                responder=CallerModel(call.seed, speech=call.speech),
            )
            result = call_inbound(box, config, crm_down=call.crm_down)
            tally.add(call, result)
            records.add(PlacedForKpis(result, call.moment, call.caller))
            bar.update(tally.calls)
        bar.finish()
        elapsed = time.perf_counter() - started
        kpis = records.ingest_and_report(box)
    summary = summarise(tally, elapsed)
    if output_format == "json":
        emit_json(
            {
                "day": _day_meta(calls, seed),
                "summary": summary,
                "calls": tally.rows,
                "kpis": kpis.to_dict(),
            }
        )
    else:
        _print(summary, calls, seed, kpis)
    return 1 if summary["outcomes"].get("error") or kpis.disagreements() else 0


def _asked_to_rate(result: SimulationResult) -> bool:
    return any(step.action == "ask-rating" for step in result.steps)


def summarise(tally: DayTally, elapsed: float) -> dict[str, Any]:
    """The day's figures, JSON-ready."""
    total = tally.calls
    outcomes = tally.outcomes
    ratings = tally.ratings
    csat_count, csat_sum = sum(ratings.values()), sum(value * n for value, n in ratings.items())

    # The day's counts, under the names lambdas.shared.kpi's rates read.
    counts = {
        "contacts": total,
        "selfServed": outcomes["self-served"],
        "callbacks": outcomes["callback"],
        "csatSum": csat_sum,
        "csatCount": csat_count,
        "surveysOffered": tally.asked,
    }

    def share(count: int) -> float:
        return round(ratio(count, total) or 0.0, 4)

    def rate(kpi_rate: Rate) -> float:
        return round(kpi_rate.of(counts) or 0.0, 4)

    average = CSAT_AVERAGE.of(counts)
    return {
        "calls": total,
        "outcomes": dict(outcomes.most_common()),
        "selfServiceRate": rate(SELF_SERVICE_RATE),
        "toPerson": share(outcomes["queued"] + outcomes["callback"]),
        "callbacks": rate(CALLBACK_RATE),
        "closed": share(outcomes["closed"]),
        "csat": {
            "average": round(average, 2) if average is not None else None,
            "ratings": csat_count,
            "asked": tally.asked,
            "responseRate": rate(SURVEY_RESPONSE_RATE),
            "distribution": {str(k): ratings[k] for k in range(1, 6)},
        },
        "byHour": {f"{hour:02d}:00": dict(counts) for hour, counts in sorted(tally.by_hour.items())},
        "queued": {
            name: {"calls": count, "averagePriority": round(priorities / count, 2)}
            for name, (count, priorities) in sorted(tally.queued.items())
        },
        "rules": dict(tally.rules.most_common()),
        "lambdaCallsPerCall": round(tally.lambda_calls / total, 2) if total else 0.0,
        "lambdaErrors": tally.lambda_errors,
        "warnings": tally.warnings,
        "coverage": {
            name: {"taken": len(c.taken), "transitions": len(c.transitions), "ratio": round(c.ratio, 4)}
            for name, c in tally.coverage.items()
        },
        "seconds": round(elapsed, 2),
        "callsPerSecond": round(total / elapsed, 1) if elapsed else None,
    }


def _day_meta(calls: int, seed: int) -> dict[str, Any]:
    end = DAY_START + timedelta(hours=DAY_HOURS)
    return {"calls": calls, "seed": seed, "from": DAY_START.isoformat(), "to": end.isoformat()}


def _compact(call: DayCall, result: SimulationResult) -> dict[str, Any]:
    return {
        "at": call.moment.strftime("%H:%M:%S"),
        "caller": call.caller if not call.caller.startswith("+") else mask_phone(call.caller),
        "hours": call.hours,
        "speech": call.speech,
        "language": call.language,
        "crmDown": call.crm_down,
        "queueWaitSeconds": call.queue_wait_seconds,
        "route": decision_route(result),
        "rule": decision_rule(result),
        "variant": decision_variant(result),
        "outcome": result.outcome,
        "queue": result.queue,
        "priority": result.priority,
        "csat": rating(result),
        "lambdaCalls": [c.function for c in result.lambda_calls],
    }


OUTCOME_ORDER = ("self-served", "queued", "callback", "closed", "disconnected", "error")


def _print(summary: dict[str, Any], calls: int, seed: int, kpis: KpiRun) -> None:
    total = summary["calls"]
    print(
        f"\nA synthetic day: {calls} calls through flows/inbound_main.json, Monday 23 November 2026, "
        f"07:00-21:00 New York (seed {seed}; open 08:00-18:00; CRM down 14:00-14:20)\n"
    )
    outcomes = summary["outcomes"]
    print(
        table(
            ["outcome", "calls", "share"],
            [[o, outcomes[o], f"{outcomes[o] / total:.0%}"] for o in OUTCOME_ORDER if o in outcomes],
        )
    )
    csat = summary["csat"]
    average = f"{csat['average']:.2f}" if csat["average"] is not None else "n/a"
    print(
        f"\nSelf-service rate {summary['selfServiceRate']:.0%} · to a person {summary['toPerson']:.0%} "
        f"(callbacks {summary['callbacks']:.0%}) · closed {summary['closed']:.0%} · "
        f"CSAT {average} from {csat['ratings']} ratings ({csat['responseRate']:.0%} of callers asked)"
    )
    print("\nBy hour")
    hour_rows = [
        [hour, sum(counts.values()), *(counts.get(o, 0) for o in OUTCOME_ORDER[:4])]
        for hour, counts in summary["byHour"].items()
    ]
    print(table(["hour", "calls", *OUTCOME_ORDER[:4]], hour_rows))
    print("\nQueued, by queue")
    print(
        table(
            ["queue", "calls", "avg priority"],
            [[q, v["calls"], v["averagePriority"]] for q, v in summary["queued"].items()],
        )
    )
    print("\nDecisions, by rule")
    print(table(["rule", "calls"], [[rule, n] for rule, n in summary["rules"].items()]))
    coverage = ", ".join(
        f"{name} {c['taken']}/{c['transitions']} ({c['ratio']:.0%})"
        for name, c in summary["coverage"].items()
    )
    print(f"\nFlow coverage: {coverage}")
    print(
        f"Lambda calls per call {summary['lambdaCallsPerCall']}, Lambda errors {summary['lambdaErrors']}, "
        f"simulator warnings {summary['warnings']}, guard stops {outcomes.get('error', 0)}"
    )
    print(f"{total} calls in {summary['seconds']:.1f} s ({summary['callsPerSecond']} calls/s)")
    print()
    print_kpis(kpis, what=f"The day's {total} calls")
