"""An experiment's settings, read from its document (kind `tandem/ivr-experiment`) as plain JSON.

Only the fields `tandem experiment status` needs; the document's full validation (the challenger
rules, every bound) belongs to the document's own parser. Errors are one line naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from lambdas.shared.experiment_stats import METRICS

KIND = "tandem/ivr-experiment"
DIRECTIONS = ("higher", "lower")


class ExperimentError(ValueError):
    """The experiment document cannot be read; the message is one line naming the field."""


@dataclass(frozen=True)
class Guardrail:
    metric: str
    better: str  # "higher" or "lower"
    max_worsening: float  # an absolute difference: 0.02 = 2 percentage points of a rate


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
    """The settings of the document's experiment; None when it holds none (`"experiment": null`)."""
    if document.get("kind") != KIND:
        raise ExperimentError(f"kind: expected {KIND!r}, got {document.get('kind')!r}")
    if "experiment" not in document:
        raise ExperimentError("experiment: missing (null when there is none)")
    experiment = document["experiment"]
    if experiment is None:
        return None
    if not isinstance(experiment, Mapping):
        raise ExperimentError("experiment: expected an object or null")
    primary = _object(experiment, "primaryMetric")
    guardrails = experiment.get("guardrails", [])
    if not isinstance(guardrails, list):
        raise ExperimentError("experiment.guardrails: expected a list")
    start, end = _moment(experiment, "start"), _moment(experiment, "end")
    if end <= start:
        raise ExperimentError("experiment.end: must be after experiment.start")
    return ExperimentSettings(
        id=_text(experiment, "id"),
        share=_number(experiment, "share", low=0.0, high=1.0, field="experiment.share"),
        start=start,
        end=end,
        unit=_text(experiment, "unit"),
        primary_metric=_metric(primary, "experiment.primaryMetric"),
        primary_better=_direction(primary, "experiment.primaryMetric"),
        alpha=_number(experiment, "alpha", low=0.0, high=0.5, field="experiment.alpha"),
        power=_number(experiment, "power", low=0.5, high=1.0, field="experiment.power"),
        minimum_detectable_effect=_number(
            experiment,
            "minimumDetectableEffect",
            low=0.0,
            high=None,
            field="experiment.minimumDetectableEffect",
        ),
        guardrails=tuple(
            _guardrail(item, f"experiment.guardrails[{n}]") for n, item in enumerate(guardrails)
        ),
    )


def _object(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name)
    if not isinstance(value, Mapping):
        raise ExperimentError(f"experiment.{name}: expected an object")
    return value


def _text(parent: Mapping[str, Any], name: str) -> str:
    value = parent.get(name)
    if not isinstance(value, str) or not value:
        raise ExperimentError(f"experiment.{name}: expected a non-empty string")
    return value


def _moment(parent: Mapping[str, Any], name: str) -> datetime:
    text = _text(parent, name)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ExperimentError(f"experiment.{name}: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise ExperimentError(f"experiment.{name}: {text!r} has no UTC offset")
    return moment


def _number(parent: Mapping[str, Any], name: str, *, low: float, high: float | None, field: str) -> float:
    value = parent.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExperimentError(f"{field}: expected a number")
    if not (low < value and (high is None or value < high)):
        bounds = f"above {low}" if high is None else f"between {low} and {high} (exclusive)"
        raise ExperimentError(f"{field}: {value} is not {bounds}")
    return float(value)


def _metric(parent: Mapping[str, Any], field: str) -> str:
    metric = parent.get("metric")
    if metric not in METRICS:
        raise ExperimentError(f"{field}.metric: {metric!r} is not one of {', '.join(METRICS)}")
    return str(metric)


def _direction(parent: Mapping[str, Any], field: str) -> str:
    better = parent.get("better")
    if better not in DIRECTIONS:
        raise ExperimentError(f"{field}.better: expected 'higher' or 'lower', got {better!r}")
    return str(better)


def _guardrail(item: Any, field: str) -> Guardrail:
    if not isinstance(item, Mapping):
        raise ExperimentError(f"{field}: expected an object")
    worsening = item.get("maxWorsening")
    if isinstance(worsening, bool) or not isinstance(worsening, int | float) or worsening < 0:
        raise ExperimentError(f"{field}.maxWorsening: expected a number at least 0")
    return Guardrail(_metric(item, field), _direction(item, field), float(worsening))
