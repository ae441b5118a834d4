"""An experiment's guardrails, looked at: the one loop `tandem experiment status` shows and the
experiment guard stops on.

Each guardrail gets its Bonferroni share of the experiment's alpha (`guardrail_alpha`) and one mSPRT
look at both arms' summed counters (`guardrail_look`); `tripped` is the look's `worse`. Pure, and
free of the documents' types (a guardrail is anything with a metric, a direction and a margin), so
every function's asset may carry it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lambdas.shared import experiment_stats as es


class GuardrailLike(Protocol):
    """A guardrail as the experiment document states it (lambdas/policy/experiment_spec.py `Guardrail`)."""

    @property
    def metric(self) -> str: ...

    @property
    def better(self) -> str: ...

    @property
    def max_worsening(self) -> float: ...


@dataclass(frozen=True)
class GuardrailCheck:
    guardrail: GuardrailLike
    alpha: float  # this guardrail's share
    comparison: es.Comparison | None  # None while an arm has nothing to measure
    look: es.SequentialLook | None

    @property
    def tripped(self) -> bool:
        return self.look is not None and self.look.worse

    def to_dict(self) -> dict[str, Any]:
        g = self.guardrail
        return {
            "metric": g.metric,
            "better": g.better,
            "maxWorsening": g.max_worsening,
            "alpha": self.alpha,
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "sequential": None if self.look is None else self.look.to_dict(),
            "tripped": self.tripped,
        }


def guardrail_checks(
    alpha: float,
    guardrails: Sequence[GuardrailLike],
    champion: Mapping[str, int],
    challenger: Mapping[str, int],
) -> tuple[GuardrailCheck, ...]:
    """Every guardrail's look at the arms' counters, in the document's order."""
    share = es.guardrail_alpha(alpha, len(guardrails))
    checks = []
    for g in guardrails:
        a, b = es.estimate(g.metric, champion), es.estimate(g.metric, challenger)
        comparison = es.compare(a, b) if a is not None and b is not None else None
        look = es.guardrail_look(
            g.metric,
            better=g.better,
            max_worsening=g.max_worsening,
            champion=champion,
            challenger=challenger,
            alpha=share,
        )
        checks.append(GuardrailCheck(g, share, comparison, look))
    return tuple(checks)
