"""Powertools' CloudWatch EMF metrics, with each metric's name, unit and resolution checked once.

`EmfProvider` is Powertools' own provider (handed to `Metrics(provider=...)`, its extension point):
the first `add_metric` of a (name, unit, resolution) goes through Powertools' checks, and later ones
with the same three reuse the checked values instead of checking them again on every invocation.
Anything else (a value that is not a number, a metric set near its 100-metric flush, debug logging
of Powertools itself) takes Powertools' own path, so the EMF lines are exactly Powertools' lines.
`single_metric` is Powertools' context manager over a `SingleMetric` that shares the unit and
resolution tables instead of rebuilding them for every metric.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.metrics.base import SingleMetric
from aws_lambda_powertools.metrics.provider.cloudwatch_emf import cloudwatch
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.constants import MAX_METRICS
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.metric_properties import (
    MetricResolution,
    MetricUnit,
)
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_env_var_choice

# Read-only tables Powertools builds per provider; one copy serves every metric.
_UNITS = [unit.value for unit in MetricUnit]
_UNIT_OPTIONS = list(MetricUnit.__members__)
_RESOLUTIONS = [resolution.value for resolution in MetricResolution]


class EmfProvider(AmazonCloudWatchEMFProvider):  # type: ignore[misc]
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # (name, unit, resolution) as given -> (name, unit, resolution) as Powertools stores them
        self._checked: dict[tuple[Any, Any, Any], tuple[str, str, int]] = {}

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: MetricResolution | int = 60
    ) -> None:
        key = (name, unit, resolution)
        checked: tuple[str, str, int] | None = None
        try:
            checked = self._checked.get(key) if type(name) is str else None
            hashable = True
        except TypeError:  # an unhashable unit or resolution: Powertools says what is wrong
            hashable = False
        metrics = self.metric_set
        if (
            checked is None
            or not isinstance(value, (int, float))  # other numbers, and refusals: Powertools' path
            or len(metrics) >= MAX_METRICS - 1  # Powertools flushes at 100: its path, its line
            or cloudwatch.logger.isEnabledFor(logging.DEBUG)
        ):
            super().add_metric(name=name, unit=unit, value=value, resolution=resolution)
            # Reached only when Powertools accepted the metric; unless that add flushed the set,
            # the set holds it as Powertools stores it.
            stored = metrics.get(name.strip()) if hashable and checked is None else None
            if stored is not None:
                self._checked[key] = (name.strip(), stored["Unit"], stored["StorageResolution"])
            return
        stored_name, stored_unit, stored_resolution = checked
        metric = metrics.get(stored_name)
        if metric is None:
            metric = metrics[stored_name] = defaultdict(list)
        elif len(metric["Value"]) >= MAX_METRICS - 1:
            super().add_metric(name=name, unit=unit, value=value, resolution=resolution)
            return
        metric["Unit"] = stored_unit
        metric["StorageResolution"] = stored_resolution
        metric["Value"].append(float(value))  # type: ignore[arg-type]


class SharedTablesSingleMetric(SingleMetric):  # type: ignore[misc]
    """Powertools' SingleMetric, set up as its own __init__ does but with the shared tables
    (`tests/unit/test_emf.py` compares the two instances' state)."""

    def __init__(self, namespace: str | None = None) -> None:
        self.metric_set: dict[str, Any] = {}
        self.dimension_set: dict[str, str] = {}
        self.namespace = resolve_env_var_choice(
            choice=namespace, env=os.getenv(constants.METRICS_NAMESPACE_ENV)
        )
        self.service = resolve_env_var_choice(choice=None, env=os.getenv(constants.SERVICE_NAME_ENV))
        self.metadata_set: dict[str, Any] = {}
        self.timestamp: int | None = None
        self._metric_units = _UNITS
        self._metric_unit_valid_options = _UNIT_OPTIONS
        self._metric_resolutions = _RESOLUTIONS


@contextmanager
def single_metric(
    *,
    name: str,
    unit: MetricUnit,
    value: float,
    resolution: MetricResolution | int = 60,
    namespace: str | None = None,
    default_dimensions: dict[str, str] | None = None,
) -> Iterator[SingleMetric]:
    """Powertools' `single_metric`, line for line (keywords only), over a `SharedTablesSingleMetric`."""
    metric_set: dict[str, Any] | None = None
    try:
        metric = SharedTablesSingleMetric(namespace=namespace)
        metric.add_metric(name=name, unit=unit, value=value, resolution=resolution)
        if default_dimensions:
            for dim_name, dim_value in default_dimensions.items():
                metric.add_dimension(name=dim_name, value=dim_value)
        yield metric
        metric_set = metric.serialize_metric_set()
    finally:
        print(json.dumps(metric_set, separators=(",", ":")))
