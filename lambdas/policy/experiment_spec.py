"""An experiment as its document states it: a challenger rule set tried on a share of the calls,
when, by what unit, and how to judge it (the primary metric, alpha, power and guardrails).

`lambdas.policy.experiment` parses the document and reads the stop; it imports this module only
when the document holds an experiment (the shipped one holds none), so a cold start compiles neither
it nor, for the guard, the rules' parser (a challenger) and the KPI definitions (its metrics).
Every problem is reported with the field's path (`experiment.share: ...`).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from lambdas.policy.rules import RuleSet, parse_rules
from lambdas.policy.validation import DocumentError, Problems, check_keys, join, type_name
from lambdas.shared import kpi

# Counted as `<experiment id>:<variant>` and stored with every decision: a lowercase label that
# starts with a letter, so it can never be mistaken for a phone number.
EXPERIMENT_ID = re.compile(r"^[a-z][a-z0-9-]{0,47}$")
UNITS = ("caller", "contact")
DIRECTIONS = ("higher", "lower")
METRICS = tuple(rate.key for rate in kpi.JUDGED_RATES)  # what a primary metric or guardrail may be
FIELDS = (
    "id",
    "challenger",
    "share",
    "start",
    "end",
    "unit",
    "primaryMetric",
    "alpha",
    "power",
    "minimumDetectableEffect",
    "guardrails",
)
MAX_GUARDRAILS = 10


class Halts(Protocol):
    """What `running` asks of a stop (`lambdas.policy.experiment.Stop`)."""

    def halts(self, experiment_id: str) -> bool: ...


class Goal(NamedTuple):
    metric: str  # one of METRICS
    better: str  # higher | lower


class Guardrail(NamedTuple):
    metric: str
    better: str
    max_worsening: float  # how far the challenger may be worse, as a difference of the rate (0.02 = 2 points)


class Experiment(NamedTuple):
    id: str
    challenger: RuleSet
    share: float  # of the units that get the challenger, in (0, 1)
    start: datetime  # aware
    end: datetime  # aware, after start
    unit: str  # caller | contact
    primary: Goal
    alpha: float
    power: float
    minimum_detectable_effect: float
    guardrails: tuple[Guardrail, ...]

    def running(self, now: datetime, stop: Halts | None) -> bool:
        """Whether calls at `now` take part: between start (included) and end, and not stopped."""
        return self.start <= now < self.end and not (stop is not None and stop.halts(self.id))


def parse_body(problems: Problems, where: str, raw: Any) -> Experiment | None:
    """The experiment at `where` (`experiment`), or None with its problems added."""
    if not check_keys(problems, where, raw, required=FIELDS):
        return None
    before = len(problems.items)
    experiment_id = raw["id"]
    if not isinstance(experiment_id, str) or not EXPERIMENT_ID.match(experiment_id):
        problems.add(
            join(where, "id"),
            f"must be a lowercase label starting with a letter, like deflect-2026-12, got {experiment_id!r}",
        )
    challenger = _challenger(problems, join(where, "challenger"), raw["challenger"])
    share = _number(problems, join(where, "share"), raw["share"], low=0.0, high=1.0)
    start = _moment(problems, join(where, "start"), raw["start"])
    end = _moment(problems, join(where, "end"), raw["end"])
    if start is not None and end is not None and end <= start:
        problems.add(join(where, "end"), f"must be after start ({raw['start']}), got {raw['end']}")
    unit = raw["unit"]
    if unit not in UNITS:
        problems.add(join(where, "unit"), f"must be one of {', '.join(UNITS)}, got {unit!r}")
    primary = _goal(problems, join(where, "primaryMetric"), raw["primaryMetric"], ())
    alpha = _number(problems, join(where, "alpha"), raw["alpha"], low=0.0, high=0.5)
    power = _number(problems, join(where, "power"), raw["power"], low=0.5, high=1.0)
    effect = _number(
        problems, join(where, "minimumDetectableEffect"), raw["minimumDetectableEffect"], low=0.0, high=1.0
    )
    guardrails = _guardrails(problems, join(where, "guardrails"), raw["guardrails"])
    if len(problems.items) > before:
        return None
    assert challenger is not None and start is not None and end is not None and primary is not None
    return Experiment(
        id=experiment_id,
        challenger=challenger,
        share=float(share),
        start=start,
        end=end,
        unit=unit,
        primary=primary,
        alpha=float(alpha),
        power=float(power),
        minimum_detectable_effect=float(effect),
        guardrails=guardrails,
    )


def _challenger(problems: Problems, where: str, raw: Any) -> RuleSet | None:
    try:
        return parse_rules(raw)
    except DocumentError as error:
        for problem in error.problems:
            problems.add(where, problem)
        return None


def _number(
    problems: Problems, where: str, raw: Any, *, low: float, high: float, low_included: bool = False
) -> float:
    """A number above `low` (or equal to it when `low_included`) and below `high`."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        problems.add(where, f"must be a number, got {type_name(raw)}")
        return math.nan
    if not (low < raw < high or (low_included and raw == low)):
        lower = f"at least {low:g}" if low_included else f"above {low:g}"
        problems.add(where, f"must be {lower} and below {high:g}, got {raw!r}")
    return float(raw)


def _moment(problems: Problems, where: str, raw: Any) -> datetime | None:
    example = "like 2026-11-23T00:00:00-05:00"
    if not isinstance(raw, str):
        problems.add(where, f"must be a date and time with its offset, {example}, got {type_name(raw)}")
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        problems.add(where, f"must be a date and time with its offset, {example}, got {raw!r}")
        return None
    if moment.tzinfo is None:
        problems.add(where, f"needs its UTC offset ({example}), got {raw!r}")
        return None
    return moment


def _goal(problems: Problems, where: str, raw: Any, extra: tuple[str, ...]) -> Goal | None:
    if not check_keys(problems, where, raw, required=("metric", "better", *extra)):
        return None
    metric, better = raw["metric"], raw["better"]
    ok = True
    if metric not in METRICS:
        problems.add(join(where, "metric"), f"must be one of {', '.join(METRICS)}, got {metric!r}")
        ok = False
    if better not in DIRECTIONS:
        problems.add(join(where, "better"), f"must be higher or lower, got {better!r}")
        ok = False
    return Goal(metric, better) if ok else None


def _guardrails(problems: Problems, where: str, raw: Any) -> tuple[Guardrail, ...]:
    if not isinstance(raw, list):
        problems.add(where, f"must be a list, got {type_name(raw)}")
        return ()
    if len(raw) > MAX_GUARDRAILS:
        problems.add(where, f"at most {MAX_GUARDRAILS} guardrails, got {len(raw)}")
        return ()
    guardrails: list[Guardrail] = []
    for index, item in enumerate(raw):
        here = join(where, index)
        goal = _goal(problems, here, item, ("maxWorsening",))
        if goal is None:
            continue
        worsening = _number(
            problems, join(here, "maxWorsening"), item["maxWorsening"], low=0.0, high=1.0, low_included=True
        )
        if any(g.metric == goal.metric for g in guardrails):
            problems.add(join(here, "metric"), f"{goal.metric} has a guardrail already")
        guardrails.append(Guardrail(goal.metric, goal.better, worsening))
    return tuple(guardrails)
