"""The EMF metrics given to Powertools (lambdas/shared/emf.py) accept, refuse and print exactly what
Powertools' own provider and `single_metric` do: the same EMF lines, the same errors."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from aws_lambda_powertools.metrics import MetricResolution, MetricUnit
from aws_lambda_powertools.metrics import single_metric as powertools_single_metric
from aws_lambda_powertools.metrics.base import SingleMetric
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.shared.emf import EmfProvider, SharedTablesSingleMetric, single_metric
from lambdas.shared.observability import get_metrics

Add = tuple[Any, Any, Any, Any]  # name, unit, value, resolution

NAMES = st.sampled_from(["Decisions", " Decisions ", "Latency", "x", "", "A" * 260, "RouteAgent"])
UNITS = st.sampled_from([*MetricUnit, "Count", "Milliseconds", "None", "Bogus", 3, ["Count"]])
VALUES = (
    st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(["1", None, True])
)
RESOLUTIONS = st.sampled_from([60, 1, MetricResolution.High, MetricResolution.Standard, 5, "60"])
ADDS = st.lists(st.tuples(NAMES, UNITS, VALUES, RESOLUTIONS), max_size=30)


def lines(printed: str) -> list[Any]:
    """The EMF lines printed, without their timestamps (the moment each was flushed)."""
    out = []
    for line in printed.splitlines():
        blob = json.loads(line)
        if blob and "_aws" in blob:
            blob["_aws"].pop("Timestamp")
        out.append(blob)
    return out


def run(
    provider: AmazonCloudWatchEMFProvider, adds: list[Add], *, flush: bool = True
) -> tuple[list[Any], Any]:
    """What each add did (ok or the error), then what the flush printed."""
    outcomes: list[Any] = []
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for name, unit, value, resolution in adds:
            try:
                provider.add_metric(name=name, unit=unit, value=value, resolution=resolution)
                outcomes.append("ok")
            except Exception as error:
                outcomes.append((type(error).__name__, str(error)))
        if flush:
            provider.flush_metrics(raise_on_empty_metrics=False)
    return outcomes, lines(printed.getvalue())


def pair() -> tuple[AmazonCloudWatchEMFProvider, EmfProvider]:
    return (
        AmazonCloudWatchEMFProvider(namespace="Tandem", service="svc"),
        EmfProvider(namespace="Tandem", service="svc"),
    )


@settings(deadline=None)
@given(invocations=st.lists(ADDS, min_size=1, max_size=4))
def test_adds_and_flushes_are_powertools_own(invocations: list[list[Add]]) -> None:
    stock, ours = pair()
    for adds in invocations:  # one warm container: the checks ours remembers carry over
        assert run(ours, adds) == run(stock, adds)


def test_the_hundred_metric_flush_is_powertools_own() -> None:
    many_names = [(f"Metric{i}", MetricUnit.Count, i, 60) for i in range(230)]
    one_name = [("Decisions", MetricUnit.Count, i, 60) for i in range(230)]
    for adds in (many_names, one_name, many_names + one_name):
        stock, ours = pair()
        warm = [adds[0], adds[0]]  # ours has checked the first name already
        assert run(ours, warm, flush=False) == run(stock, warm, flush=False)
        assert run(ours, adds) == run(stock, adds)


def test_single_metric_is_set_up_as_powertools_sets_it_up() -> None:
    assert vars(SharedTablesSingleMetric(namespace="Tandem")) == vars(SingleMetric(namespace="Tandem"))
    assert vars(SharedTablesSingleMetric()) == vars(SingleMetric())


def test_single_metric_prints_powertools_line() -> None:
    def printed(manager: Any) -> list[Any]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), manager(
            name="EscalationReasons", unit=MetricUnit.Count, value=1, namespace="Tandem",
            default_dimensions={"stage": "test"},
        ) as metric:  # fmt: skip
            metric.add_dimension(name="reason", value="ASKED_FOR_AGENT")
        return lines(out.getvalue())

    assert printed(single_metric) == printed(powertools_single_metric)


def test_function_metrics_use_the_provider_on_powertools_shared_sets() -> None:
    metrics = get_metrics("test_emf_service")
    assert isinstance(metrics.provider, EmfProvider)
    assert metrics.provider.metric_set is metrics.metric_set
    assert metrics.provider.dimension_set is metrics.dimension_set
