"""`tandem experiment status`: an experiment's arms, compared honestly, from the `variant` counters.

ctr_ingest counts every call under `variant` = `<experiment id>:<champion|challenger>`, per day.
One Query reads the experiment's days; each arm's counters are summed twice: over every day (what
each KPI and its interval show, and what the guardrails look at, as the guard does: both arms'
open days are equally incomplete, which shrinks a difference rather than inflating it) and over
final days only (the primary metric's verdict: a provisional day's recontacts are not all in).
Every figure comes from lambdas/shared/experiment_stats.py, and the guardrails' looks from
lambdas/shared/guardrails.py: the modules the experiment guard stops by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from lambdas.policy.experiment import STOP_FIELDS, Stop
from lambdas.shared import experiment_stats as es
from lambdas.shared.counters import ARMS, Reads, arm_days, arm_value
from lambdas.shared.guardrails import GuardrailCheck
from lambdas.shared.guardrails import guardrail_checks as shared_guardrail_checks
from tandem.experiment_settings import ExperimentSettings
from tandem.kpi import Totals
from tandem.kpi_report import Provisional

BETTER, WORSE, INCONCLUSIVE, RUNNING, STOPPED = "BETTER", "WORSE", "INCONCLUSIVE", "RUNNING", "STOPPED"


@dataclass(frozen=True)
class Arm:
    name: str
    value: str  # the counters' `variant` value
    totals: Totals  # every day
    final: Totals  # days no longer provisional

    def estimates(self) -> dict[str, es.Estimate | None]:
        return {metric: es.estimate(metric, self.totals.counts) for metric in es.METRICS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "contacts": self.totals["contacts"],
            "finalContacts": self.final["contacts"],
            "counts": self.totals.as_dict(),
            "finalCounts": self.final.as_dict(),
            "kpis": {
                metric: None
                if found is None
                else {**found.to_dict(), "counts": {n: self.totals[n] for n in es.counters_of(metric)}}
                for metric, found in self.estimates().items()
            },
        }


@dataclass(frozen=True)
class Primary:
    """The primary metric on final days: the difference, the plan and the sequential look."""

    metric: str
    better: str
    champion: es.Estimate | None
    challenger: es.Estimate | None
    comparison: es.Comparison | None
    planned_per_arm: int | None  # None: no champion figure yet to plan from
    look: es.SequentialLook | None

    @property
    def observed_per_arm(self) -> int:
        arms = (self.champion, self.challenger)
        return min(arm.trials if arm is not None else 0 for arm in arms)

    @property
    def still_needed(self) -> int | None:
        return None if self.planned_per_arm is None else max(0, self.planned_per_arm - self.observed_per_arm)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "better": self.better,
            "basis": "final days",
            "champion": None if self.champion is None else self.champion.to_dict(),
            "challenger": None if self.challenger is None else self.challenger.to_dict(),
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "plannedPerArm": self.planned_per_arm,
            "observedPerArm": self.observed_per_arm,
            "stillNeededPerArm": self.still_needed,
            "sequential": None if self.look is None else self.look.to_dict(),
        }


@dataclass(frozen=True)
class Status:
    settings: ExperimentSettings
    start: date
    end: date
    arms: tuple[Arm, ...]
    primary: Primary
    guardrails: tuple[GuardrailCheck, ...]
    provisional_days: tuple[date, ...]
    ended: bool
    stop: Stop | None
    verdict: str
    reason: str
    reads: Reads

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "experiment": {
                "id": s.id,
                "share": s.share,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "unit": s.unit,
                "alpha": s.alpha,
                "power": s.power,
                "minimumDetectableEffect": s.minimum_detectable_effect,
            },
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "confidence": es.CONFIDENCE,
            "verdict": self.verdict,
            "reason": self.reason,
            "stop": None if self.stop is None else dict(zip(STOP_FIELDS, self.stop, strict=True)),
            "ended": self.ended,
            "provisionalDays": [d.isoformat() for d in self.provisional_days],
            "variants": {arm.name: arm.to_dict() for arm in self.arms},
            "primary": self.primary.to_dict(),
            "guardrails": [check.to_dict() for check in self.guardrails],
            "reads": self.reads.to_dict(),
            "distributions": es.chosen().name,  # scipy in the CLI; the guard computes with math
        }


def read_arms(
    dynamodb: Any, table: str, experiment_id: str, start: date, end: date, *, provisional: Provisional
) -> tuple[tuple[Arm, ...], Reads]:
    """Both arms' counters over the range: one Query of the `variant` dimension."""
    reads = Reads()
    totals = {arm: Totals() for arm in ARMS}
    final = {arm: Totals() for arm in ARMS}
    for day, arm, counts in arm_days(dynamodb, table, experiment_id, start, end, reads=reads):
        totals[arm] += Totals.of(counts)
        if not provisional(day):
            final[arm] += Totals.of(counts)
    arms = tuple(Arm(arm, arm_value(experiment_id, arm), totals[arm], final[arm]) for arm in ARMS)
    return arms, reads


def primary_of(
    settings: ExperimentSettings, champion: Mapping[str, int], challenger: Mapping[str, int]
) -> Primary:
    metric, better = settings.primary_metric, settings.primary_better
    a, b = es.estimate(metric, champion), es.estimate(metric, challenger)
    comparison = es.compare(a, b) if a is not None and b is not None else None
    planned = _planned(settings, a)
    look = None
    if a is not None and b is not None:
        look = es.sequential_look(
            a, b, better=better, alpha=settings.alpha, mixing_sd=settings.minimum_detectable_effect
        )
    return Primary(metric, better, a, b, comparison, planned, look)


def _planned(settings: ExperimentSettings, champion: es.Estimate | None) -> int | None:
    """Per arm, from the champion's figure: the sample to find the minimum detectable effect."""
    if champion is None:
        return None
    effect = settings.minimum_detectable_effect
    if champion.successes is not None:
        signed = effect if settings.primary_better == "higher" else -effect
        return es.proportion_sample_size(champion.value, signed, settings.alpha, settings.power)
    if not champion.standard_deviation:
        return None
    return es.mean_sample_size(champion.standard_deviation, effect, settings.alpha, settings.power)


def guardrail_checks(
    settings: ExperimentSettings, champion: Mapping[str, int], challenger: Mapping[str, int]
) -> tuple[GuardrailCheck, ...]:
    return shared_guardrail_checks(settings.alpha, settings.guardrails, champion, challenger)


def verdict(
    settings: ExperimentSettings,
    primary: Primary,
    guardrails: tuple[GuardrailCheck, ...],
    stop: Stop | None,
    ended: bool,
) -> tuple[str, str]:
    """(verdict, why): STOPPED by the guard; BETTER or WORSE once the planned sample is reached on
    final days (the z test) or early by the sequential test; INCONCLUSIVE when the plan is reached
    (or the experiment ended) without either; else RUNNING."""
    if stop is not None and stop.halts(settings.id):
        return STOPPED, f"stopped by the guard at {stop.stopped_at} on {stop.guardrail}: {stop.reason}"
    tripped = [c.guardrail.metric for c in guardrails if c.tripped]
    note = f"; guardrail {', '.join(tripped)} shows harm (the guard stops it)" if tripped else ""
    better_sign = 1.0 if primary.better == "higher" else -1.0
    test = None if primary.comparison is None else primary.comparison.test
    planned = primary.planned_per_arm
    if (
        primary.comparison is not None
        and test is not None
        and planned is not None
        and primary.observed_per_arm >= planned
    ):
        if test.p_value < settings.alpha:
            good = primary.comparison.difference * better_sign > 0
            return (BETTER if good else WORSE), f"planned sample reached, p = {test.p_value:.3g}{note}"
        return INCONCLUSIVE, f"planned sample reached, p = {test.p_value:.3g} >= alpha{note}"
    if primary.look is not None and primary.look.rejects:
        word = BETTER if primary.look.worsening < 0 else WORSE
        return (
            word,
            f"by the sequential test (mSPRT likelihood ratio {primary.look.likelihood_ratio:.3g}){note}",
        )
    if ended:
        return INCONCLUSIVE, f"ended before the planned sample{note}"
    needed = primary.still_needed
    return RUNNING, (
        "no final day yet" if needed is None else f"{needed:,} more final calls per arm needed"
    ) + note


def experiment_status(
    settings: ExperimentSettings,
    arms: tuple[Arm, ...],
    *,
    reads: Reads,
    start: date,
    end: date,
    provisional: Provisional,
    stop: Stop | None,
) -> Status:
    champion, challenger = arms
    primary = primary_of(settings, champion.final.counts, challenger.final.counts)
    checks = guardrail_checks(settings, champion.totals.counts, challenger.totals.counts)
    ended = provisional.as_of >= settings.end and not provisional(settings.days(provisional.zone)[1])
    word, why = verdict(settings, primary, checks, stop, ended)
    return Status(
        settings=settings,
        start=start,
        end=end,
        arms=arms,
        primary=primary,
        guardrails=checks,
        provisional_days=tuple(provisional.days(start, end)),
        ended=ended,
        stop=stop if stop is not None and stop.halts(settings.id) else None,
        verdict=word,
        reason=why,
        reads=reads,
    )
