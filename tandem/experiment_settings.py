"""An experiment's settings as `tandem experiment status` judges them, from its document (kind
`tandem/ivr-experiment`, parsed by lambdas/policy/experiment.py). Errors are one line naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from lambdas.policy.experiment import parse_experiment
from lambdas.policy.experiment_spec import Guardrail
from lambdas.policy.validation import DocumentError


class ExperimentError(ValueError):
    """The experiment document cannot be read; the message is one line naming the field."""


@dataclass(frozen=True)
class ExperimentSettings:
    id: str
    share: float
    start: datetime  # aware
    end: datetime  # aware, exclusive
    unit: str
    primary_metric: str
    primary_better: str
    alpha: float
    power: float
    minimum_detectable_effect: float
    guardrails: tuple[Guardrail, ...]

    def days(self, zone: tzinfo) -> tuple[date, date]:
        """The first and last day it runs, in the centre's zone (the end moment is not included)."""
        last = self.end - timedelta(microseconds=1)
        return self.start.astimezone(zone).date(), last.astimezone(zone).date()


def experiment_settings(document: Mapping[str, Any]) -> ExperimentSettings | None:
    """The settings of the document's experiment, validated by the document's own parser (the one
    ivr_decision and `tandem rules validate` use); None when it holds none (`"experiment": null`)."""
    try:
        parsed = parse_experiment(document).experiment
    except DocumentError as error:
        raise ExperimentError(str(error)) from None
    if parsed is None:
        return None
    return ExperimentSettings(
        id=parsed.id,
        share=parsed.share,
        start=parsed.start,
        end=parsed.end,
        unit=parsed.unit,
        primary_metric=parsed.primary.metric,
        primary_better=parsed.primary.better,
        alpha=parsed.alpha,
        power=parsed.power,
        minimum_detectable_effect=parsed.minimum_detectable_effect,
        guardrails=parsed.guardrails,
    )
