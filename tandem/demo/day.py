"""`tandem demo --calls N`: a synthetic day of N varied calls through the inbound flow.

The "day" is three days, Monday 23 to Wednesday 25 November 2026 (`DAYS`; Thursday is Thanksgiving,
closed all day), 07:00 to 21:00 New York each, so some calls come before the centre opens at 08:00
and after it closes at 18:00, and callers whose problem was not solved ring back. `--calls N` is
the total over the days. Calls bunch up mid-morning and mid-afternoon, when the queue is longest.
Callers are the demo customers (each on at most one day's worth of calls: `plan_day`), one-off
unknown numbers and withheld ones; a few speak Vietnamese or talk to the (fake) Lex bot; the CRM is
down on Monday from 14:00 to 14:20. Every caller answers the flow's prompts through a caller model
(`CallerModel`): which key they press or what they say (their problem), whether the answer helped
(more or less likely by problem: `HELPS_BY_MENU`, `HELPS_BY_UTTERANCE`), whether they take a
callback, how they rate the call. A caller whose problem was not solved rings back with the same
problem within the recontact window (`RING_BACK_SHARE`), so some contained calls are not resolved.
The same seed gives the same days.

Each call runs through `tandem.flows.simulator` on the real handlers in one sandbox, with the
handlers' clock at the call's moment and the flow's hours check agreeing with the bundled
calendar. The summary gives the day's figures: outcomes, the self-service rate (calls the IVR
answered; `lambdas.shared.kpi`), transfers, callbacks, CSAT,
by hour, by queue and by rule (with each rule's recontact and resolution rates, from the test
oracle in `tandem.demo.kpis`), and the flows' branch coverage. Then the day's calls become contact
trace records, ctr_ingest counts them from Kinesis-sized batches (100 records an event), and the
KPI report by route reads the counters back; its figures must agree with the day's outcomes
(`tandem.demo.kpis`).
"""

from __future__ import annotations

import random
import sys
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
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
from tandem.demo.kpis import (
    RECONTACT_WINDOW,
    RULE_FIGURES,
    CallRecords,
    KpiRun,
    PlacedForKpis,
    RuleOutcomes,
    print_kpis,
    rule_rates,
    rule_table,
)
from tandem.demo.replay import print_replay, replay_candidate
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
DAYS = 3  # Monday to Wednesday: Thursday 26 November 2026 is Thanksgiving, closed all day
# How many calls each hour gets, relatively: quiet early and late, peaks at 10-12 and 14-16.
HOUR_WEIGHTS = (2, 6, 9, 12, 12, 9, 7, 10, 11, 8, 6, 3, 2, 1)
# The longest wait, in seconds, a caller meets in each hour (the queue's estimated wait).
PEAK_WAIT_SECONDS = (0, 120, 420, 900, 1500, 600, 300, 700, 1200, 480, 180, 0, 0, 0)
CRM_OUTAGE = (datetime(2026, 11, 23, 14, 0, tzinfo=NEW_YORK), datetime(2026, 11, 23, 14, 20, tzinfo=NEW_YORK))
RATING_WEIGHTS = {"5": 38, "4": 27, "3": 12, "2": 6, "1": 5, "": 12}  # "": hangs up without rating


@dataclass(frozen=True)
class Problem:
    """Why a caller calls: the key they press for it, what they say to the bot, and how likely
    the call solves it (opening hours are easy; a bill or a complaint much less so)."""

    key: str
    said: str
    helps: float
    weight: int  # how many callers have it, relatively


PROBLEMS = (
    Problem("1", "where is my order", 0.8, 30),
    Problem("2", "I want to return something", 0.6, 14),
    Problem("3", "what time do you close", 0.95, 12),
    Problem("4", "there's a charge on my bill I don't recognise", 0.5, 10),
    Problem("5", "I want to make a complaint, this is the third time", 0.4, 7),
    Problem("6", "cancel my order please", 0.6, 7),
    Problem("0", "can I talk to a person", 0.85, 15),
    Problem("", "um, it's about the thing", 0.5, 5),  # presses nothing
)
MENU_WEIGHTS = {p.key: p.weight for p in PROBLEMS}
UTTERANCES = tuple(p.said for p in PROBLEMS)
# What a caller the answer did not help presses when asked whether it did: yes all the same (they
# find out later), nothing (hangs up), something else, or a person.
NOT_HELPED_ANSWERS = ("1", "1", "", "2", "0")
RING_BACK_SHARE = 0.7  # of callers whose problem the call did not solve: they call again
RING_BACK_MEAN_HOURS = 14  # how soon, on average (always within the recontact window)
VIETNAMESE_SHARE = 0.06
SPEECH_SHARE = 0.2
WITHHELD_SHARE = 0.08
UNKNOWN_SHARE = 0.14
KNOWN_SHARE = 1 - VIETNAMESE_SHARE - WITHHELD_SHARE - UNKNOWN_SHARE  # the demo customers' calls
# Unknown callers' numbers: +1 <area> 555 0200..9999, distinct per caller (enough for 100,000 calls).
AREA_CODES = ("202", "212", "303", "305", "312", "404", "415", "503", "602", "617", "713", "206")


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
    problem: Problem = PROBLEMS[0]
    helped: bool = True  # whether the call solves the caller's problem
    ring_back: bool = False  # the caller rings back about an earlier call's problem


class CallerModel:
    """How one synthetic caller answers the repo's flows' prompts (by action id)."""

    def __init__(
        self, seed: int, *, speech: bool, problem: Problem | None = None, helped: bool = True
    ) -> None:
        self.rng = random.Random(seed)
        self.speech = speech
        self.patience = self.rng.random()  # low: takes callbacks and hangs up on the survey
        self.helped = helped  # whether a self-service answer does the job
        # The first menu or question hears the caller's problem; later ones, whatever they try next.
        self.problem = {"ask-menu": problem.key, "ask-by-speech": problem.said} if problem else {}

    @classmethod
    def of(cls, call: DayCall) -> CallerModel:
        return cls(call.seed, speech=call.speech, problem=call.problem, helped=call.helped)

    def __call__(self, flow: str, action: str, prompt: str) -> str | None:
        rng = self.rng
        if action in self.problem:
            return self.problem.pop(action)
        if action == "ask-by-speech":
            return rng.choice(UTTERANCES)
        if action in ("ask-menu", "ask-menu-again"):
            return _weighted(rng, MENU_WEIGHTS)
        if action == "ask-if-resolved":
            return "1" if self.helped else rng.choice(NOT_HELPED_ANSWERS)
        if action in ("offer-callback", "offer-callback-closed", "offer-callback-queue-full"):
            return "1" if rng.random() > self.patience * 0.8 else rng.choice(("2", ""))
        if action in ("ask-rating", "ask-rating-again"):
            return _weighted(rng, RATING_WEIGHTS)
        return None  # a prompt this model does not know: the caller stays silent


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_day(calls: int, seed: int, calendar: Calendar) -> list[DayCall]:
    """`calls` calls spread over the days, in time order; the same seed gives the same days.

    The moments come first. Demo customers take about `KNOWN_SHARE` of them, at random, each
    customer one; the other moments go, in time order, to withheld, unknown and Vietnamese-speaking
    unknown callers, each unknown number a new one. A caller whose problem the call does not solve
    may ring back about it at a later free moment within the recontact window. So a caller's calls
    are one chain of ring-backs, and a call with a number is recontacted exactly when it was rung
    back about; withheld callers ring back too, and never count.
    """
    rng = random.Random(seed)
    moments = sorted(
        DAY_START
        + timedelta(
            days=rng.randrange(DAYS),
            hours=rng.choices(range(DAY_HOURS), HOUR_WEIGHTS)[0],
            seconds=rng.uniform(0, 3600),
        )
        for _ in range(calls)
    )
    slots: list[_Caller | None] = [None] * calls  # who calls at each moment, once known
    customers = rng.sample(DEMO_CUSTOMERS, min(len(DEMO_CUSTOMERS), round(calls * KNOWN_SHARE)))
    for index, customer in zip(rng.sample(range(calls), len(customers)), customers, strict=True):
        slots[index] = _Caller(customer.phone, "vi-VN" if customer.language.startswith("vi") else "en-US")
    # The others' shares, scaled so that they stay shares of all the calls.
    scale = calls / (calls - len(customers)) if calls > len(customers) else 1.0
    numbers: set[str] = set()
    planned = []
    for index, moment in enumerate(moments):
        caller = slots[index] or _new_caller(rng, numbers, scale)
        problem = caller.problem or rng.choices(PROBLEMS, [p.weight for p in PROBLEMS])[0]
        helped = rng.random() < problem.helps
        if not helped and rng.random() < RING_BACK_SHARE:
            later = _ring_back_slot(rng, moments, slots, index)
            if later is not None:
                slots[later] = _Caller(caller.number, caller.language, problem)
        peak = PEAK_WAIT_SECONDS[moment.hour - DAY_START.hour]
        wait = round(rng.uniform(0.3, 1.0) * peak) if peak else None
        status = calendar.status_at(moment, NEW_YORK)
        planned.append(
            DayCall(
                moment=moment,
                caller=caller.number,
                language=caller.language,
                speech=caller.language == "en-US" and rng.random() < SPEECH_SHARE,
                queue_wait_seconds=wait,
                crm_down=CRM_OUTAGE[0] <= moment < CRM_OUTAGE[1],
                hours="open" if status.is_open else "closed",
                seed=rng.randrange(2**32),
                problem=problem,
                helped=helped,
                ring_back=caller.problem is not None,
            )
        )
    return planned


@dataclass(frozen=True)
class _Caller:
    number: str  # E.164, or "anonymous"
    language: str
    problem: Problem | None = None  # a ring-back's: the problem of the call rung back about


def _new_caller(rng: random.Random, numbers: set[str], scale: float) -> _Caller:
    draw = rng.random()
    if draw < WITHHELD_SHARE * scale:
        return _Caller("anonymous", "en-US")
    while (number := f"+1{rng.choice(AREA_CODES)}555{rng.randrange(200, 10_000):04d}") in numbers:
        pass  # a new caller, never one who called already
    numbers.add(number)
    vietnamese = draw < (WITHHELD_SHARE + VIETNAMESE_SHARE) * scale
    return _Caller(number, "vi-VN" if vietnamese else "en-US")


def _ring_back_slot(
    rng: random.Random, moments: list[datetime], slots: list[_Caller | None], index: int
) -> int | None:
    """A free moment after `moments[index]`, within the recontact window, near a drawn delay."""
    start = moments[index]
    delay = timedelta(hours=rng.expovariate(1 / RING_BACK_MEAN_HOURS))
    end = bisect_right(moments, start + RECONTACT_WINDOW)  # the first moment past the window
    near = min(max(bisect_left(moments, start + delay), index + 1), end)
    for later in chain(range(near, end), range(near - 1, index, -1)):
        if slots[later] is None and moments[later] > start:
            return later
    return None


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
    ring_backs: int = 0  # calls about an earlier call's problem
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
        self.ring_backs += call.ring_back
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
                responder=CallerModel.of(call),
            )
            result = call_inbound(box, config, crm_down=call.crm_down)
            tally.add(call, result)
            records.add(PlacedForKpis(result, call.moment, call.caller))
            bar.update(tally.calls)
        bar.finish()
        elapsed = time.perf_counter() - started
        kpis = records.ingest_and_report(box, by_rule=True)
        replayed = replay_candidate(box, (kpis.report.start, kpis.report.end))
    summary = summarise(tally, elapsed, records.by_rule())
    if output_format == "json":
        emit_json(
            {
                "day": _day_meta(calls, seed),
                "summary": summary,
                "calls": tally.rows,
                "kpis": kpis.to_dict(),
                "replay": replayed if isinstance(replayed, str) else replayed[0],
            }
        )
    else:
        _print(summary, calls, seed, kpis)
        print_replay(replayed)
    return 1 if summary["outcomes"].get("error") or kpis.disagreements() else 0


def _asked_to_rate(result: SimulationResult) -> bool:
    return any(step.action == "ask-rating" for step in result.steps)


def summarise(tally: DayTally, elapsed: float, by_rule: RuleOutcomes) -> dict[str, Any]:
    """The day's figures, JSON-ready; `by_rule`: the test oracle's outcomes by rule, recontacts too."""
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
    overall = {name: sum(figures[name] for figures in by_rule.values()) for name in RULE_FIGURES}

    def with_rates(figures: dict[str, int]) -> dict[str, Any]:
        return {**figures, **{k: round(v or 0.0, 4) for k, v in rule_rates(figures).items()}}

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
        "ringBacks": tally.ring_backs,
        "recontactWindowHours": round(RECONTACT_WINDOW.total_seconds() / 3600),
        "recontacts": with_rates(overall),
        "byRule": {rule: with_rates(figures) for rule, figures in by_rule.items()},
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
    end = DAY_START + timedelta(days=DAYS - 1, hours=DAY_HOURS)
    return {"calls": calls, "seed": seed, "days": DAYS, "from": DAY_START.isoformat(), "to": end.isoformat()}


def _compact(call: DayCall, result: SimulationResult) -> dict[str, Any]:
    return {
        "at": call.moment.strftime("%Y-%m-%d %H:%M:%S"),
        "caller": call.caller if not call.caller.startswith("+") else mask_phone(call.caller),
        "hours": call.hours,
        "speech": call.speech,
        "language": call.language,
        "crmDown": call.crm_down,
        "queueWaitSeconds": call.queue_wait_seconds,
        "ringBack": call.ring_back,
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
        f"\nA synthetic day: {calls} calls through flows/inbound_main.json over {DAYS} days, Monday 23 to "
        f"Wednesday 25 November 2026, 07:00-21:00 New York (seed {seed}; open 08:00-18:00; CRM down "
        f"Monday 14:00-14:20)\n"
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
    recontacts = summary["recontacts"]
    print(
        f"\nDecisions, by rule: {summary['ringBacks']} calls rang back about an earlier call's unsolved "
        f"problem; {recontacts['recontacted']} calls were recontacted (the same number again within "
        f"{summary['recontactWindowHours']} h; withheld numbers never count): recontact rate "
        f"{recontacts['recontactRate']:.0%}, resolution rate {recontacts['resolutionRate']:.0%} "
        f"(contained and not recontacted)"
    )
    print(rule_table(list(summary["byRule"].items())))
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
