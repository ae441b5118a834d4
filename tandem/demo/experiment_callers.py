"""The callers of `tandem demo --experiment`: who calls on each simulated day, how they answer, and
who comes back.

Every simulated day (`calling_days`: weekdays the bundled calendar opens, from Monday 11 January
2027) gets N new callers at moments between 08:00 and 18:00 New York, bunched as the synthetic day's
are (`tandem.demo.day.HOUR_WEIGHTS`). New callers are unknown numbers, each its own (none withheld:
`WITHHELD_SHARE`), so a caller's second call is always a ring-back about the first; they press the key of
their problem (`tandem.demo.day.PROBLEMS`). `ExperimentCaller` answers the flow's prompts and says,
once the call is over, whether the problem was solved (`solved`): a self-service answer helps as
often as `SELF_SERVICE_HELPS` says for an unknown caller; an agent solves most problems. A caller
whose problem was not solved rings back on a later day (`ring_back`), with the same number, so the
real ctr_ingest counts the first call recontacted; one whom the machine failed asks for a person the
second time.

A caller who asked for a person and is asked "did that answer your question?" was kept from one (the
champion never asks them: their call goes to a queue): they give up or insist, rate the call low and
come back. That is the harm `--experiment harmful` tries. Everything is drawn from seeded generators:
the same seed gives the same calls.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lambdas.policy.calendar import Calendar
from tandem.demo.day import (
    AREA_CODES,
    HOUR_WEIGHTS,
    PEAK_WAIT_SECONDS,
    PROBLEMS,
    RATING_WEIGHTS,
    CallerModel,
    Problem,
)
from tandem.flows.simulator import Hours, SimulationResult

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY = date(2027, 1, 11)  # a Monday with no holiday near it in the bundled calendar
FIRST_HOUR, LAST_HOUR = 8, 17  # calls start from 08:00 to 17:59, while the centre is open
# The synthetic day's weights and peak waits are from 07:00: the opening hours' share of them.
CALL_HOUR_WEIGHTS = HOUR_WEIGHTS[FIRST_HOUR - 7 : LAST_HOUR - 6]
CALL_HOUR_WAITS = PEAK_WAIT_SECONDS[FIRST_HOUR - 7 : LAST_HOUR - 6]
# No withheld numbers: a withheld caller's arm is drawn from the contact id, which the simulator
# makes at random, so the same seed would not give the same arms. Their calls are never recontacts
# anyway; the synthetic day (`tandem.demo.day`) has them.
WITHHELD_SHARE = 0.0
ASKS_FOR_PERSON = next(p for p in PROBLEMS if p.key == "0")
# How often a self-service answer solves an unknown caller's problem, by menu key. An order's status
# needs the caller's account, so the machine can only say how to find the order online, and a caller
# who rings about it almost always tried that first; opening hours are easy; nothing the machine
# says is a person.
SELF_SERVICE_HELPS = {"1": 0.05, "2": 0.7, "3": 0.95, "4": 0.2, "5": 0.05, "6": 0.3, "0": 0.0, "": 0.4}
AGENT_SOLVES = 0.9  # of callers who reach an agent (or are called back): the problem is solved
RING_BACK_SHARE = 0.95  # of callers whose problem was not solved: they call again (it has not gone away)
RING_BACK_HOURS = (14.0, 40.0)  # how much later (uniform), moved into the next calling hours
# A caller the machine failed who rings back asks for a person this time, this often.
RING_BACK_ASKS_FOR_PERSON = 0.7
KEPT_GIVES_UP = 0.5  # kept from a person: presses 1 to get off the line; the others press 0
# Ratings (as RATING_WEIGHTS, "" hangs up unrated). After an answer that did not help, which the
# caller said yes to all the same: lukewarm. After being kept from a person, whatever came next:
# angry, and an angry caller stays on for the survey to say so.
UNHELPED_RATING_WEIGHTS = {"5": 8, "4": 20, "3": 30, "2": 12, "1": 5, "": 25}
KEPT_RATING_WEIGHTS = {"5": 1, "4": 2, "3": 5, "2": 20, "1": 60, "": 12}
HELPED, NOT_HELPED = "1", ("1", "1", "", "2", "0")  # the synthetic day's answers to "did that help?"


@dataclass(frozen=True)
class PlannedCall:
    moment: datetime
    caller: str  # E.164, or "anonymous"
    problem: Problem
    seed: int  # the caller model's
    hours: Hours
    queue_wait_seconds: int | None
    ring_back: bool = False  # about an earlier call's unsolved problem


def calling_days(calendar: Calendar, count: int) -> list[date]:
    """The first `count` weekdays from FIRST_DAY on which the calendar opens at noon."""
    days: list[date] = []
    day = FIRST_DAY
    while len(days) < count:
        noon = datetime.combine(day, time(12), tzinfo=NEW_YORK)
        if day.weekday() < 5 and calendar.status_at(noon, NEW_YORK).is_open:
            days.append(day)
        day += timedelta(days=1)
    return days


def new_callers(
    day: date, index: int, calls: int, rng: random.Random, calendar: Calendar
) -> list[PlannedCall]:
    """The day's `calls` new callers, in time order; `index` numbers them across days (distinct numbers)."""
    planned = []
    for n in range(calls):
        hour = rng.choices(range(FIRST_HOUR, LAST_HOUR + 1), CALL_HOUR_WEIGHTS)[0]
        moment = datetime.combine(day, time(hour), tzinfo=NEW_YORK) + timedelta(seconds=rng.uniform(0, 3600))
        caller = "anonymous" if rng.random() < WITHHELD_SHARE else _number(index + n)
        problem = rng.choices(PROBLEMS, [p.weight for p in PROBLEMS])[0]
        planned.append(_call(moment, caller, problem, rng, calendar))
    return sorted(planned, key=lambda call: call.moment)


def ring_back(
    call: PlannedCall, caller: ExperimentCaller, days: list[date], rng: random.Random, calendar: Calendar
) -> PlannedCall | None:
    """The caller's next call about the same problem, None when they do not ring back (or would
    after the last simulated day, or have no number)."""
    if call.caller == "anonymous" or rng.random() >= RING_BACK_SHARE:
        return None
    later = call.moment + timedelta(hours=rng.uniform(*RING_BACK_HOURS))
    moment = _within_calling_hours(later, days, rng)
    if moment is None:
        return None
    asks = caller.failed_by_machine and rng.random() < RING_BACK_ASKS_FOR_PERSON
    again = _call(moment, call.caller, ASKS_FOR_PERSON if asks else call.problem, rng, calendar)
    return replace(again, ring_back=True)


def _call(
    moment: datetime, caller: str, problem: Problem, rng: random.Random, calendar: Calendar
) -> PlannedCall:
    peak = CALL_HOUR_WAITS[moment.hour - FIRST_HOUR]
    wait = round(rng.uniform(0.3, 1.0) * peak) if peak else None
    status = calendar.status_at(moment, NEW_YORK)
    hours: Hours = "open" if status.is_open else "closed"
    return PlannedCall(moment, caller, problem, rng.randrange(2**32), hours, wait)


def _number(index: int) -> str:
    """The index-th new caller's number: +1 <area> 555 0200..9999, distinct for 117,600 callers."""
    area, line = divmod(index, 9800)
    return f"+1{AREA_CODES[area % len(AREA_CODES)]}555{200 + line:04d}"


def _within_calling_hours(moment: datetime, days: list[date], rng: random.Random) -> datetime | None:
    """`moment`, or when it falls outside the calling hours, early on the next calling day."""
    local = moment.astimezone(NEW_YORK)
    if local.date() in days and FIRST_HOUR <= local.hour <= LAST_HOUR:
        return local
    following = [d for d in days if d > local.date() or (d == local.date() and local.hour < FIRST_HOUR)]
    if not following:
        return None
    start = datetime.combine(following[0], time(FIRST_HOUR), tzinfo=NEW_YORK)
    return start + timedelta(minutes=rng.uniform(0, 120))


class ExperimentCaller(CallerModel):
    """The synthetic day's caller model, with what an experiment changes: whether a self-service
    answer helps (`SELF_SERVICE_HELPS`), what a caller kept from a person does, and how each rates."""

    def __init__(self, call: PlannedCall) -> None:
        super().__init__(call.seed, speech=False, problem=call.problem)
        self.wanted = call.problem
        self.answered: bool | None = None  # a self-service answer helped; None: none was heard
        self.kept = False  # asked for a person and was asked whether the machine answered instead

    @property
    def failed_by_machine(self) -> bool:
        return self.kept or self.answered is False

    def __call__(self, flow: str, action: str, prompt: str) -> str | None:
        if action == "ask-if-resolved":
            if self.wanted is ASKS_FOR_PERSON:
                self.kept, self.answered = True, False
                return "1" if self.rng.random() < KEPT_GIVES_UP else "0"
            self.answered = self.rng.random() < SELF_SERVICE_HELPS.get(self.wanted.key, 0.5)
            return HELPED if self.answered else self.rng.choice(NOT_HELPED)
        if action in ("ask-rating", "ask-rating-again"):
            weights = (
                KEPT_RATING_WEIGHTS
                if self.kept
                else UNHELPED_RATING_WEIGHTS
                if self.answered is False
                else RATING_WEIGHTS
            )
            return self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return super().__call__(flow, action, prompt)

    def solved(self, result: SimulationResult) -> bool:
        """Whether the call solved the caller's problem: an answer that helped, or an agent who did."""
        if result.outcome in ("queued", "callback"):
            return self.rng.random() < AGENT_SOLVES
        return result.outcome == "self-served" and bool(self.answered)
