"""What the guard decides about the experiment in force, from its document, the stop, both arms'
counters and the moment: pure (no AWS, no clock of its own).

- no experiment in the document: `none`;
- the stop already halts it: `already-stopped` (never stopped or announced twice);
- before its start or from its end on: `not-running` (everyone gets the champion anyway);
- otherwise each guardrail looks at both arms' counters summed over every day so far
  (lambdas/shared/guardrails.py, the loop `tandem experiment status` shows): the first guardrail
  whose mSPRT look shows the challenger worse than its margin makes the `Stop` to write (`stopped`);
  none, or too few calls to look (fewer than `MIN_TRIALS_PER_ARM` per arm), leaves it `running`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lambdas.policy.experiment import Stop
from lambdas.shared.counters import CHALLENGER, CHAMPION

if TYPE_CHECKING:
    from lambdas.policy.experiment_spec import Experiment
    from lambdas.shared.guardrails import GuardrailCheck

# The statistics (lambdas/shared/guardrails.py and experiment_stats.py) are imported when a running
# experiment is looked at: most days no experiment runs, and each run of the guard is a cold start.

NONE, ALREADY_STOPPED, NOT_RUNNING, RUNNING, STOPPED = (
    "none",
    "already-stopped",
    "not-running",
    "running",
    "stopped",
)


def standing(experiment: Experiment | None, stop: Stop | None, now: datetime) -> str:
    """`running` when the experiment's guardrails are to be looked at now; else why not."""
    if experiment is None:
        return NONE
    if stop is not None and stop.halts(experiment.id):
        return ALREADY_STOPPED
    if not experiment.start <= now < experiment.end:
        return NOT_RUNNING
    return RUNNING


@dataclass(frozen=True)
class Judgement:
    action: str  # none | already-stopped | not-running | running | stopped
    experiment_id: str  # "" when there is no experiment
    stop: Stop | None = None  # what to write, when `stopped`
    checks: tuple[GuardrailCheck, ...] = ()
    champion: Mapping[str, int] = field(default_factory=dict)  # the arms' counters looked at
    challenger: Mapping[str, int] = field(default_factory=dict)

    @property
    def tripped(self) -> GuardrailCheck | None:
        return next((check for check in self.checks if check.tripped), None)

    def summary(self) -> dict[str, Any]:
        """The one-line account the handler logs and returns: no caller data, only counts."""
        tripped = self.tripped
        return {
            "experimentId": self.experiment_id,
            "action": self.action,
            "guardrail": "" if tripped is None else tripped.guardrail.metric,
            "contacts": {
                CHAMPION: self.champion.get("contacts", 0),
                CHALLENGER: self.challenger.get("contacts", 0),
            },
            "guardrails": [figures(check, self.champion, self.challenger) for check in self.checks],
        }


def judge(
    experiment: Experiment | None,
    stop: Stop | None,
    champion: Mapping[str, int],
    challenger: Mapping[str, int],
    now: datetime,
) -> Judgement:
    """The guard's decision; `champion`/`challenger` are each arm's counters over every day so far."""
    action = standing(experiment, stop, now)
    if experiment is None:
        return Judgement(action, "")
    if action != RUNNING:
        return Judgement(action, experiment.id)
    from lambdas.shared.guardrails import guardrail_checks

    checks = guardrail_checks(experiment.alpha, experiment.guardrails, champion, challenger)
    looked = Judgement(RUNNING, experiment.id, None, checks, champion, challenger)
    tripped = looked.tripped
    if tripped is None:
        return looked
    at = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return replace(
        looked, action=STOPPED, stop=Stop(experiment.id, at, tripped.guardrail.metric, reason(tripped))
    )


def figures(
    check: GuardrailCheck, champion: Mapping[str, int], challenger: Mapping[str, int]
) -> dict[str, Any]:
    """A guardrail's look in numbers: each arm's value over its trials, how much worse the
    challenger is, the margin, and the mSPRT's likelihood ratio against its threshold (None while an
    arm has too few calls to look)."""
    from lambdas.shared import experiment_stats as es

    look, metric = check.look, check.guardrail.metric
    arms = {
        arm: es.estimate(metric, counts) for arm, counts in ((CHAMPION, champion), (CHALLENGER, challenger))
    }
    return {
        "metric": metric,
        **{
            arm: None if found is None else {"value": _sig(found.value), "trials": found.trials}
            for arm, found in arms.items()
        },
        "worsening": None if look is None else _sig(look.worsening),
        "maxWorsening": check.guardrail.max_worsening,
        "likelihoodRatio": None
        if look is None or look.likelihood_ratio is None
        else _sig(look.likelihood_ratio),
        "threshold": None if look is None else _sig(look.threshold),
        "tripped": check.tripped,
    }


def reason(check: GuardrailCheck) -> str:
    """One line: how much worse, against what margin, with what evidence."""
    look = check.look
    assert look is not None and look.likelihood_ratio is not None  # a tripped check has both
    g = check.guardrail
    return (
        f"{g.metric} worse by {look.worsening:.4f} (margin {g.max_worsening:g}, {g.better} is better); "
        f"mSPRT likelihood ratio {_sig(look.likelihood_ratio):g} >= {_sig(look.threshold):g} "
        f"(alpha {check.alpha:g})"
    )


def _sig(value: float) -> float:
    """Four significant figures: a log line, not a computation."""
    return float(f"{value:.4g}")
