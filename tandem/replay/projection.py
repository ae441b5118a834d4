"""Projected KPIs of a replay: what the moved calls would likely have become, and on what basis.

Observed: each call's own outcome as ctr_ingest counted it (outcomes.py). Projected, per call:

- a call whose decision did not change keeps its own outcome;
- a moved call takes what was observed of calls with its intent on its new route (the route
  ivr_decision decided for them): their containment, resolution and share handed to a person
  (basis `intentOnRoute`); where its intent was never seen on that route, every call on the route
  (`route`); where the route was never seen at all, the route's nominal outcome: AGENT and CALLBACK
  go to a person, SELF_SERVICE and CLOSED end in the IVR, contained and (no recontact being known)
  resolved (`routeDefault`);
- a moved call's agent time is its share handed to a person times the average handle time of its intent
  in its new queue (`intentInQueue`); else of its intent in any queue (`intent`), of the queue
  (`queue`), of every handled call (`allHandled`), else none (`none`).

A moved call's figures are expected values (a share of a call), so projected counts are fractions.
Every basis other than the first is counted in `fallbacks`. Every rate is a lambdas/shared/kpi.py
`Rate`. The figures are of the calls that have an outcome; the others are counted apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.ctr_ingest.aggregates import NONE
from lambdas.policy.rules import PERSON_ROUTES
from lambdas.shared.kpi import (
    AVERAGE_HANDLE_SECONDS,
    CONTAINMENT_RATE,
    RESOLUTION_RATE,
    TO_PERSON_RATE,
    Rate,
)
from tandem.kpi_tables import percent
from tandem.output import table
from tandem.replay.model import CallMove
from tandem.replay.outcomes import CallOutcome

OUTCOME, HANDLE_TIME = "outcome", "handleTime"  # what a fallback stands in for


@dataclass(frozen=True)
class Figures:
    """Calls and what became of them; counts are expected values when projected."""

    calls: int
    contained: float
    resolved: float
    to_person: float
    handle_seconds: float

    def to_dict(self) -> dict[str, Any]:
        counts = {"contacts": self.calls, "contained": self.contained, "resolved": self.resolved}
        return {
            "calls": self.calls,
            "contained": self.contained,
            "resolved": self.resolved,
            CONTAINMENT_RATE.key: CONTAINMENT_RATE.of(counts),
            RESOLUTION_RATE.key: RESOLUTION_RATE.of(counts),
            "callsToPeople": self.to_person,
            "agentMinutes": self.handle_seconds / 60,
        }


@dataclass(frozen=True)
class Fallback:
    """Moved calls whose `measure` came from a wider basis than their intent on their route/queue."""

    measure: str  # OUTCOME or HANDLE_TIME
    intent: str
    route: str  # the new route
    queue: str  # the new queue (NONE when the new decision names none)
    basis: str
    calls: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "intent": self.intent,
            "route": self.route,
            "queue": self.queue,
            "basis": self.basis,
            "calls": self.calls,
        }


@dataclass(frozen=True)
class MovedCalls:
    """Moved calls that started in one half-hour (centre's time zone) and left one queue for another."""

    interval: str | None  # HH:MM; None for calls counted before intervals were
    from_queue: str  # the queue the call entered (ctr_ingest's value; NONE when it never queued)
    to_queue: str  # the replayed decision's queue when it goes to a person, else NONE
    calls: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "fromQueue": self.from_queue,
            "toQueue": self.to_queue,
            "calls": self.calls,
        }


@dataclass(frozen=True)
class Projection:
    observed: Figures
    projected: Figures
    moved: int  # moved calls with an outcome (projected from others' figures)
    without_outcome: int  # calls with no counted outcome: in neither figure
    fallbacks: tuple[Fallback, ...]
    moved_calls: tuple[MovedCalls, ...]
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "observed": self.observed.to_dict(),
            "projected": self.projected.to_dict(),
            "fallbacks": [fallback.to_dict() for fallback in self.fallbacks],
            "movedCalls": [group.to_dict() for group in self.moved_calls],
            "assumptions": list(self.assumptions),
            "callsWithoutOutcome": self.without_outcome,
        }


class _Observed:
    """Counts of the observed calls by (intent, decided route) and (intent, queue), as Rates read."""

    def __init__(self, calls: Sequence[tuple[CallMove, CallOutcome]]) -> None:
        self.on_route: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.route: dict[str, Counter[str]] = defaultdict(Counter)
        self.handling: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for move, outcome in calls:
            counts = Counter(
                contacts=1,
                contained=int(outcome.contained),
                resolved=int(outcome.resolved),
                toPerson=int(outcome.to_person),
            )
            self.on_route[(_intent(move), move.observed_route)] += counts
            self.route[move.observed_route] += counts
            if outcome.handled:
                handled = Counter(handled=1, handleSeconds=outcome.handle_seconds)
                for key in _handling_keys(_intent(move), outcome.queue):
                    self.handling[key] += handled

    def outcome(self, intent: str, route: str) -> tuple[str, float, float, float]:
        """(basis, contained, resolved, handed to a person) for one call moved to `route`."""
        for basis, counts in (
            ("intentOnRoute", self.on_route.get((intent, route))),
            ("route", self.route.get(route)),
        ):
            if counts:
                return (
                    basis,
                    _of(CONTAINMENT_RATE, counts),
                    _of(RESOLUTION_RATE, counts),
                    _of(TO_PERSON_RATE, counts),
                )
        to_person = route in PERSON_ROUTES
        return "routeDefault", float(not to_person), float(not to_person), float(to_person)

    def handle_seconds(self, intent: str, queue: str) -> tuple[str, float]:
        """(basis, average handle seconds) for a call of `intent` handled in `queue`."""
        for basis, key in zip(_HANDLING_BASES, _handling_keys(intent, queue), strict=True):
            if counts := self.handling.get(key):
                return basis, _of(AVERAGE_HANDLE_SECONDS, counts)
        return "none", 0.0


_HANDLING_BASES = ("intentInQueue", "intent", "queue", "allHandled")


def _handling_keys(intent: str, queue: str) -> tuple[tuple[str, ...], ...]:
    """The groups a handled call averages into, narrowest first (in `_HANDLING_BASES` order)."""
    return (("intentInQueue", intent, queue), ("intent", intent), ("queue", queue), ("allHandled",))


def _of(rate: Rate, counts: Mapping[str, float]) -> float:
    value = rate.of(counts)
    return 0.0 if value is None else value  # callers pass groups with calls in them


def _intent(move: CallMove) -> str:
    return move.intent or NONE


def _new_queue(move: CallMove) -> str:
    return (move.replayed_queue or NONE) if move.replayed_route in PERSON_ROUTES else NONE


def project(moves: Sequence[CallMove], outcomes: Mapping[str, CallOutcome]) -> Projection:
    """Observed and projected figures of the calls in `moves` that have an outcome (module docstring)."""
    calls = [
        (move, outcomes[move.initial_contact_id]) for move in moves if move.initial_contact_id in outcomes
    ]
    seen = _Observed(calls)
    observed = _Sum()
    projected = _Sum()
    fallbacks: Counter[tuple[str, str, str, str, str]] = Counter()
    moved: Counter[tuple[str | None, str, str]] = Counter()
    for move, outcome in calls:
        own = (float(outcome.contained), float(outcome.resolved), float(outcome.to_person))
        observed.add(*own, outcome.handle_seconds)
        if not move.changed:
            projected.add(*own, outcome.handle_seconds)
            continue
        intent, route, queue = _intent(move), move.replayed_route, _new_queue(move)
        basis, contained, resolved, to_person = seen.outcome(intent, route)
        if basis != "intentOnRoute":
            fallbacks[(OUTCOME, intent, route, queue, basis)] += 1
        handle_seconds = 0.0
        if to_person:
            handle_basis, average = seen.handle_seconds(intent, queue)
            handle_seconds = to_person * average
            if handle_basis != "intentInQueue":
                fallbacks[(HANDLE_TIME, intent, route, queue, handle_basis)] += 1
        projected.add(contained, resolved, to_person, handle_seconds)
        moved[(outcome.half_hour, outcome.queue, queue)] += 1
    changed = sum(moved.values())
    return Projection(
        observed=observed.figures(),
        projected=projected.figures(),
        moved=changed,
        without_outcome=len(moves) - len(calls),
        fallbacks=tuple(Fallback(*key, calls=n) for key, n in sorted(fallbacks.items())),
        moved_calls=tuple(
            MovedCalls(*key, calls=n)
            for key, n in sorted(moved.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2]))
        ),
        assumptions=_assumptions(len(calls) - changed, changed, fallbacks, len(moves) - len(calls)),
    )


class _Sum:
    def __init__(self) -> None:
        self.calls = 0
        self.totals = [0.0, 0.0, 0.0, 0.0]

    def add(self, contained: float, resolved: float, to_person: float, handle_seconds: float) -> None:
        self.calls += 1
        for index, amount in enumerate((contained, resolved, to_person, handle_seconds)):
            self.totals[index] += amount

    def figures(self) -> Figures:
        return Figures(self.calls, *self.totals)


def _assumptions(
    unchanged: int,
    moved: int,
    fallbacks: Mapping[tuple[str, str, str, str, str], int],
    without_outcome: int,
) -> tuple[str, ...]:
    by_basis: Counter[tuple[str, str]] = Counter()
    for (measure, *_rest, basis), n in fallbacks.items():
        by_basis[(measure, basis)] += n
    sentences = [
        f"{unchanged} calls whose decision did not change keep their own observed outcome and handle time.",
        f"{moved} moved calls take the observed containment, resolution and share handed to a person of "
        "calls with their intent on their new route (as decided, over the calls replayed).",
        f"Where that intent was never seen on the new route, the figures of every call on the route "
        f"({by_basis[(OUTCOME, 'route')]} calls); where the route was never seen, its nominal outcome: "
        "AGENT and CALLBACK go to a person, SELF_SERVICE and CLOSED end in the IVR, contained and resolved "
        f"({by_basis[(OUTCOME, 'routeDefault')]} calls).",
        "A call goes to people when its route at the end of the call is AGENT or CALLBACK "
        "(self-service that handed the caller over counts), as ctr_ingest counts the route.",
        "Agent minutes of a moved call: its share going to people times the observed average handle time of "
        "its intent in its new queue, as if every such call were handled; else of its intent in any queue "
        f"({by_basis[(HANDLE_TIME, 'intent')]}), of the queue ({by_basis[(HANDLE_TIME, 'queue')]}), "
        f"of every handled call ({by_basis[(HANDLE_TIME, 'allHandled')]}), or none when no call was handled "
        f"({by_basis[(HANDLE_TIME, 'none')]}).",
        "Callers on the new route are assumed to act as that route's callers did: a replay cannot know how "
        "callers react to a changed route, nor how queue waits change with more or fewer calls.",
    ]
    if without_outcome:
        sentences.append(
            f"{without_outcome} calls have no counted outcome yet (contact records not ingested) and are in "
            "neither the observed nor the projected figures."
        )
    return tuple(sentences)


def projection_tables(projection: Projection) -> str:
    """Observed against projected KPIs, the fallbacks, the moved calls by interval, the assumptions."""
    observed, projected = projection.observed.to_dict(), projection.projected.to_dict()
    rows = [
        ["calls", observed["calls"], projected["calls"]],
        ["containment", percent(observed[CONTAINMENT_RATE.key]), percent(projected[CONTAINMENT_RATE.key])],
        ["resolution", percent(observed[RESOLUTION_RATE.key]), percent(projected[RESOLUTION_RATE.key])],
        ["calls to people", f"{observed['callsToPeople']:.1f}", f"{projected['callsToPeople']:.1f}"],
        ["agent minutes", f"{observed['agentMinutes']:.1f}", f"{projected['agentMinutes']:.1f}"],
    ]
    parts = [table(["KPI", "observed", "projected"], rows)]
    if projection.fallbacks:
        parts.append("Projected on a wider basis (fallbacks):")
        parts.append(
            table(
                ["measure", "intent", "new route", "new queue", "basis", "calls"],
                [[f.measure, f.intent, f.route, f.queue, f.basis, f.calls] for f in projection.fallbacks],
            )
        )
    if projection.moved_calls:
        parts.append("Moved calls by half-hour and queue:")
        parts.append(
            table(
                ["interval", "from queue", "to queue", "calls"],
                [[m.interval or NONE, m.from_queue, m.to_queue, m.calls] for m in projection.moved_calls],
            )
        )
    parts.append("What the projection assumes:")
    parts.extend(f"- {sentence}" for sentence in projection.assumptions)
    return "\n".join(parts)
