"""Every formula of lambdas/shared/experiment_stats.py against scipy (the module itself is math only).

Where scipy has no ready function (Newcombe's interval, the sample size, the mixture likelihood
ratio), the reference is built here from scipy's primitives (its Wilson interval, normal CDF and
quantile, numerical integration), plus a published worked example for Newcombe.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from lambdas.shared import experiment_stats as es
from lambdas.shared import kpi
from tests.import_graph import top_level_imports

MODULE = Path(es.__file__)


def test_the_module_is_standard_library_only() -> None:
    # The guard Lambda imports it: no scipy, no numpy in a Lambda asset
    imported = top_level_imports(MODULE)
    assert imported <= set(sys.stdlib_module_names) | {"__future__", "lambdas"}, imported


@pytest.mark.parametrize("x", [-8.0, -3.1, -1.96, -0.3, 0.0, 0.7, 1.645, 4.2])
def test_normal_cdf(x: float) -> None:
    assert es.normal_cdf(x) == pytest.approx(stats.norm.cdf(x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    "p", [1e-12, 1e-6, 0.001, 0.02, 0.025, 0.2, 0.5, 0.8, 0.975, 0.99, 0.999999, 1 - 1e-10]
)
def test_normal_quantile(p: float) -> None:
    assert es.normal_quantile(p) == pytest.approx(stats.norm.ppf(p), rel=1e-9, abs=1e-12)


def test_normal_quantile_refuses_a_non_probability() -> None:
    for p in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            es.normal_quantile(p)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 10, 29, 100, 10_000])
@pytest.mark.parametrize("p", [0.9, 0.95, 0.975, 0.995, 0.025])
def test_t_quantile(df: int, p: float) -> None:
    exact = stats.t.ppf(p, df)
    assert es.t_quantile(p, df) == pytest.approx(exact, rel=1e-9 if df < 100 else 1e-6)


@pytest.mark.parametrize(
    ("successes", "trials"), [(0, 10), (1, 10), (5, 10), (10, 10), (37, 412), (3, 10_000)]
)
def test_wilson_is_scipys(successes: int, trials: int) -> None:
    expected = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    interval = es.wilson(successes, trials)
    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert es.wilson(0, 0) is None


def _newcombe_from_scipy(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[float, float]:
    a = stats.binomtest(x_a, n_a).proportion_ci(0.95, method="wilson")
    b = stats.binomtest(x_b, n_b).proportion_ci(0.95, method="wilson")
    p_a, p_b = x_a / n_a, x_b / n_b
    low = p_b - p_a - math.sqrt((p_b - b.low) ** 2 + (a.high - p_a) ** 2)
    high = p_b - p_a + math.sqrt((b.high - p_b) ** 2 + (p_a - a.low) ** 2)
    return low, high


@pytest.mark.parametrize(
    ("x_a", "n_a", "x_b", "n_b"), [(48, 80, 56, 70), (0, 10, 0, 20), (9, 10, 1, 10), (412, 2000, 455, 2010)]
)
def test_newcombe(x_a: int, n_a: int, x_b: int, n_b: int) -> None:
    interval = es.newcombe(x_a, n_a, x_b, n_b)
    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx(_newcombe_from_scipy(x_a, n_a, x_b, n_b), abs=1e-12)


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80, method 10
    interval = es.newcombe(48, 80, 56, 70)
    assert interval is not None
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0524, 0.3339)


@pytest.mark.parametrize(
    ("x_a", "n_a", "x_b", "n_b"), [(48, 80, 56, 70), (412, 2000, 455, 2010), (5, 50, 5, 50)]
)
def test_two_proportion_test_is_the_chi_squared_test(x_a: int, n_a: int, x_b: int, n_b: int) -> None:
    table = [[x_a, n_a - x_a], [x_b, n_b - x_b]]
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    test = es.two_proportion_test(x_a, n_a, x_b, n_b)
    assert test is not None
    assert test.z**2 == pytest.approx(chi2, rel=1e-9)
    assert test.p_value == pytest.approx(p_value, rel=1e-9)
    assert math.copysign(1, test.z) == math.copysign(1, x_b / n_b - x_a / n_a) or test.z == 0


def _power(n: int, baseline: float, other: float, alpha: float) -> float:
    """The power of the pooled two-sided z test with n per arm, from scipy's normal."""
    mean = (baseline + other) / 2
    null_sd = math.sqrt(2 * mean * (1 - mean) / n)
    alternative_sd = math.sqrt((baseline * (1 - baseline) + other * (1 - other)) / n)
    critical = stats.norm.ppf(1 - alpha / 2) * null_sd
    return float(stats.norm.sf((critical - abs(other - baseline)) / alternative_sd))


@pytest.mark.parametrize(("baseline", "effect"), [(0.5, 0.03), (0.2, -0.02), (0.05, 0.01), (0.98, 0.03)])
def test_proportion_sample_size_is_the_least_n_with_the_power(baseline: float, effect: float) -> None:
    n = es.proportion_sample_size(baseline, effect, alpha=0.05, power=0.8)
    other = baseline + effect if 0 <= baseline + effect <= 1 else baseline - effect
    assert _power(n, baseline, other, 0.05) >= 0.8 > _power(n - 1, baseline, other, 0.05)


def test_proportion_sample_size_refuses_no_effect() -> None:
    with pytest.raises(ValueError, match="effect"):
        es.proportion_sample_size(0.5, 0.0, 0.05, 0.8)


def test_mean_sample_size() -> None:
    n = es.mean_sample_size(60.0, 5.0, alpha=0.05, power=0.8)
    se = lambda k: 60.0 * math.sqrt(2 / k)  # noqa: E731
    power = lambda k: stats.norm.sf(stats.norm.ppf(0.975) - 5.0 / se(k))  # noqa: E731
    assert power(n) >= 0.8 > power(n - 1)


def test_mean_from_histogram_is_scipys_t_interval() -> None:
    histogram = {1: 7, 2: 3, 3: 10, 4: 25, 5: 41}
    data = np.repeat(list(histogram), list(histogram.values()))
    mean = es.mean_from_histogram(histogram)
    assert mean is not None and mean.interval is not None
    low, high = stats.t.interval(0.95, len(data) - 1, loc=data.mean(), scale=stats.sem(data))
    assert mean.mean == pytest.approx(data.mean())
    assert mean.standard_deviation == pytest.approx(data.std(ddof=1))
    assert (mean.interval.low, mean.interval.high) == pytest.approx((low, high), abs=1e-4)


def test_mean_from_sums_is_scipys_t_interval() -> None:
    data = np.random.default_rng(7).gamma(2.0, 150.0, size=40).round()
    mean = es.mean_from_sums(len(data), float(data.sum()), float((data**2).sum()))
    assert mean is not None and mean.interval is not None
    low, high = stats.t.interval(0.95, len(data) - 1, loc=data.mean(), scale=stats.sem(data))
    assert (mean.interval.low, mean.interval.high) == pytest.approx((low, high), rel=1e-5)
    assert es.mean_from_sums(0, 0, 0) is None
    one = es.mean_from_sums(1, 30, 900)
    assert one is not None and one.interval is None


@pytest.mark.parametrize(
    ("difference", "variance", "tau2", "null"),
    [(0.02, 1e-4, 4e-4, 0.0), (-0.01, 4e-5, 1e-4, 0.0), (0.05, 2e-4, 9e-4, 0.03)],
)
def test_mixture_likelihood_ratio_is_the_integral(
    difference: float, variance: float, tau2: float, null: float
) -> None:
    sd = math.sqrt(variance)
    # ∫ φ(d; θ, V) N(θ; null, τ²) dθ / φ(d; null, V), integrated by scipy
    mixed, _ = integrate.quad(
        lambda theta: stats.norm.pdf(difference, theta, sd) * stats.norm.pdf(theta, null, math.sqrt(tau2)),
        null - 12 * math.sqrt(tau2),
        null + 12 * math.sqrt(tau2),
        points=[difference],
    )
    expected = mixed / stats.norm.pdf(difference, null, sd)
    assert es.mixture_likelihood_ratio(difference, variance, tau2, null) == pytest.approx(expected, rel=1e-7)


def test_every_experiment_metric_is_a_kpi_or_the_low_csat_share() -> None:
    assert set(es.METRICS) == {rate.key for rate in kpi.RATES} | {"lowCsatShare"}
    assert kpi.LOW_CSAT_SHARE.of({"csat1": 1, "csat2": 2, "csat5": 3, "csatCount": 6}) == 0.5


def test_estimates_of_counters() -> None:
    counts = {
        "contacts": 200,
        "resolved": 90,
        "handled": 3,
        "handleSeconds": 600,
        "handleSecondsSquared": 140_000,
    }
    resolution = es.estimate("resolutionRate", counts)
    assert resolution is not None and (resolution.successes, resolution.trials) == (90, 200)
    assert resolution.interval == es.wilson(90, 200)
    handle = es.estimate("averageHandleSeconds", counts)
    assert handle is not None and handle.value == 200.0 and handle.trials == 3
    assert es.estimate("csatAverage", counts) is None  # no ratings
    with pytest.raises(ValueError, match="not a metric"):
        es.estimate("nonsense", counts)


def test_a_look_says_worse_only_past_the_margin_in_the_bad_direction() -> None:
    champion = es.estimate("recontactRate", {"contacts": 2000, "recontacted": 200})
    worse = es.estimate("recontactRate", {"contacts": 2000, "recontacted": 400})
    assert champion is not None and worse is not None
    look = es.sequential_look(champion, worse, better="lower", alpha=0.05, margin=0.03, mixing_sd=0.03)
    assert look.worsening == pytest.approx(0.1) and look.worse
    # The same data read as "higher is better": the challenger is better, never a stop
    flipped = es.sequential_look(champion, worse, better="higher", alpha=0.05, margin=0.03, mixing_sd=0.03)
    assert flipped.worsening == pytest.approx(-0.1) and not flipped.worse and flipped.better
    # A margin larger than the harm: no stop
    wide = es.sequential_look(champion, worse, better="lower", alpha=0.05, margin=0.2, mixing_sd=0.03)
    assert not wide.worse
    # Too few calls per arm: no look
    few = es.estimate("recontactRate", {"contacts": 10, "recontacted": 9})
    assert few is not None
    assert (
        es.sequential_look(champion, few, better="lower", alpha=0.05, mixing_sd=0.03).likelihood_ratio is None
    )


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 30, 99])
@pytest.mark.parametrize("t", [-4.0, -1.3, 0.0, 0.5, 2.2])
def test_t_cdf(df: int, t: float) -> None:
    assert es.t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), abs=1e-12)


def test_the_cli_computes_with_scipy_and_agrees_with_the_guards_pure_formulas() -> None:
    from tandem.stats_scipy import SCIPY

    pure = (es.wilson(37, 120), es.newcombe(37, 120, 52, 118), es.mean_from_sums(40, 9_800, 2_650_000))
    pure_test = es.two_proportion_test(37, 120, 52, 118)
    pure_size = es.proportion_sample_size(0.3, 0.03, 0.05, 0.8)
    with es.using(SCIPY) as chosen:
        assert es.chosen() is chosen is SCIPY
        with_scipy = (
            es.wilson(37, 120),
            es.newcombe(37, 120, 52, 118),
            es.mean_from_sums(40, 9_800, 2_650_000),
        )
        scipy_test = es.two_proportion_test(37, 120, 52, 118)
        scipy_size = es.proportion_sample_size(0.3, 0.03, 0.05, 0.8)
    assert es.chosen() is es.MATH  # the block ends, the guard's own distributions again
    wilson, newcombe, mean = pure
    assert wilson is not None and newcombe is not None and mean is not None and mean.interval is not None
    s_wilson, s_newcombe, s_mean = with_scipy
    assert s_wilson is not None and s_newcombe is not None and s_mean is not None and s_mean.interval
    for a, b in ((wilson, s_wilson), (newcombe, s_newcombe), (mean.interval, s_mean.interval)):
        assert abs(a.low - b.low) < 1e-9 and abs(a.high - b.high) < 1e-9
    assert pure_test is not None and scipy_test is not None
    assert abs(pure_test.p_value - scipy_test.p_value) < 1e-12
    assert pure_size == scipy_size
