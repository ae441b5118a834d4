"""The statistics of an experiment (champion A against challenger B), from the KPI counters alone.

Standard library only (`math`): the guard function (a Lambda) imports it, and `tandem experiment
status` uses the same formulas, so the status and the guard never disagree. The formulas read the
normal and Student's t distributions through `Distributions`: this module's own (`MATH`, what the
guard uses) unless a caller chooses others with `using` — the CLI chooses scipy's
(tandem/stats_scipy.py), which a Lambda asset never carries. tests/unit/test_experiment_stats.py
checks every formula against scipy. docs/balance.md ("Experiments: the
statistics") says what each assumes.

- Rates (a count of calls over a count of calls): Wilson's score interval for one arm; Newcombe's
  hybrid score interval (his method 10) for the difference B - A; the pooled two-proportion z test;
  the sample per arm for a two-sided test at `alpha` with `power` to find a given difference.
- Averages (CSAT from its histogram, handle time and queue wait from their sums of squares): the
  mean with Student's t interval; the difference with Welch's standard error, read as normal.
- Repeated looks: the mixture sequential probability ratio test (mSPRT) with a normal mixture over
  the difference (Robbins 1970; Johari, Pekelis and Walsh, "Always valid inference", 2017). Its
  likelihood ratio is a martingale under the null, so the chance it ever reaches 1 / alpha, however
  often it is looked at, is at most alpha (Ville's inequality). The difference is treated as normal
  with the variance estimated at each look (the plug-in approximation the paper uses for rates).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from lambdas.shared import kpi

CONFIDENCE = 0.95
SQRT2 = math.sqrt(2.0)

# Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9 before the
# Halley step that follows it, which takes it to machine precision).
_A = (
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
)
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
_C = (
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549671010388549,
    4.374664141464968,
    2.938163982698783,
)
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def normal_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z."""
    return 0.5 * math.erfc(-x / SQRT2)


def normal_quantile(p: float) -> float:
    """The x with P(Z <= x) = p, for 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1 is needed, got {p}")
    if p > 0.5:  # by symmetry, so the upper tail keeps its digits (1 - p is exact there)
        return -normal_quantile(1.0 - p)
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = _poly(_C, q) / (_poly(_D, q) * q + 1.0)
    else:
        q = p - 0.5
        r = q * q
        x = _poly(_A, r) * q / (_poly(_B, r) * r + 1.0)
    # One Halley step on the exact CDF.
    error = normal_cdf(x) - p
    u = error * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def _poly(coefficients: tuple[float, ...], x: float) -> float:
    result = 0.0
    for coefficient in coefficients:
        result = result * x + coefficient
    return result


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile: exact for 1 and 2 degrees of freedom; else the Cornish-Fisher expansion
    in 1/df (Abramowitz and Stegun 26.7.5), polished below 100 degrees by Newton steps on the exact
    CDF (26.7.3-4), where the expansion alone drifts by up to 1e-2."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    z = normal_quantile(p)
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    t = z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4
    if df < 100:
        for _ in range(3):
            t -= (t_cdf(t, df) - p) / _t_density(t, df)
    return t


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with a whole number of degrees of freedom (a finite series)."""
    theta = math.atan(t / math.sqrt(df))
    cos2, sin = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:
        # cos θ + (2/3)cos³θ + (2·4)/(3·5)cos⁵θ + ... up to cos^(df-2)θ (no term for df = 1)
        series, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            series += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        both_sides = 2.0 / math.pi * (theta + sin * series)
    else:
        # 1 + (1/2)cos²θ + (1·3)/(2·4)cos⁴θ + ... up to cos^(df-2)θ
        series, term = 0.0, 1.0
        for k in range(1, df // 2 + 1):
            series += term
            term *= cos2 * (2 * k - 1) / (2 * k)
        both_sides = sin * series
    return 0.5 + both_sides / 2.0


def _t_density(t: float, df: int) -> float:
    scale = math.exp(math.lgamma((df + 1) / 2.0) - math.lgamma(df / 2.0)) / math.sqrt(df * math.pi)
    return scale * math.pow(1.0 + t * t / df, -(df + 1) / 2.0)


@dataclass(frozen=True)
class Distributions:
    """The distribution functions the formulas below read."""

    name: str
    normal_cdf: Callable[[float], float]
    normal_quantile: Callable[[float], float]
    t_quantile: Callable[[float, int], float]


MATH = Distributions("math", normal_cdf, normal_quantile, t_quantile)
_chosen: list[Distributions] = [MATH]


@contextmanager
def using(distributions: Distributions) -> Iterator[Distributions]:
    """Compute with `distributions` inside the block (the CLI: scipy's)."""
    _chosen.append(distributions)
    try:
        yield distributions
    finally:
        _chosen.pop()


def chosen() -> Distributions:
    return _chosen[-1]


def two_sided_z(confidence: float) -> float:
    """The normal quantile of a two-sided interval: 1.96 for 95 %."""
    return chosen().normal_quantile(0.5 + confidence / 2.0)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval | None:
    """Wilson's score interval for a proportion (no continuity correction); None with no trials."""
    if trials <= 0:
        return None
    z = two_sided_z(confidence)
    z2 = z * z
    centre = (successes + z2 / 2.0) / (trials + z2)
    half = z / (trials + z2) * math.sqrt(successes * (trials - successes) / trials + z2 / 4.0)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, confidence: float = CONFIDENCE
) -> Interval | None:
    """Newcombe's hybrid score interval (method 10, 1998) for p_b - p_a, from each arm's Wilson
    interval; None when an arm has no trials."""
    interval_a = wilson(successes_a, trials_a, confidence)
    interval_b = wilson(successes_b, trials_b, confidence)
    if interval_a is None or interval_b is None:
        return None
    p_a, p_b = successes_a / trials_a, successes_b / trials_b
    difference = p_b - p_a
    below = math.hypot(p_b - interval_b.low, interval_a.high - p_a)
    above = math.hypot(interval_b.high - p_b, p_a - interval_a.low)
    return Interval(difference - below, difference + above)


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float  # two-sided

    def to_dict(self) -> dict[str, float]:
        return {"z": self.z, "pValue": self.p_value}


def z_test(difference: float, standard_error: float) -> ZTest | None:
    """Two-sided z test of a difference against 0; None when it has no spread to test against."""
    if standard_error <= 0.0:
        return None
    z = difference / standard_error
    return ZTest(z, 2.0 * chosen().normal_cdf(-abs(z)))


def two_proportion_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> ZTest | None:
    """The pooled two-proportion z test of p_b = p_a (the chi-squared test of the 2x2 table, with
    no continuity correction: z squared is its statistic)."""
    if trials_a <= 0 or trials_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    standard_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / trials_a + 1.0 / trials_b))
    return z_test(successes_b / trials_b - successes_a / trials_a, standard_error)


def proportion_sample_size(baseline: float, effect: float, alpha: float, power: float) -> int:
    """Calls per arm for a two-sided pooled z test at `alpha` to find p_b = baseline + effect with
    `power` (Fleiss' formula without continuity correction). `effect` is signed; when baseline +
    effect leaves [0, 1], the change the other way is planned for."""
    if not 0.0 < abs(effect) < 1.0:
        raise ValueError(f"the effect must be a difference of rates between 0 and 1, got {effect}")
    other = baseline + effect
    if not 0.0 <= other <= 1.0:
        other = baseline - effect
    mean = (baseline + other) / 2.0
    z_alpha = chosen().normal_quantile(1.0 - alpha / 2.0)
    z_power = chosen().normal_quantile(power)
    spread = z_alpha * math.sqrt(2.0 * mean * (1.0 - mean)) + z_power * math.sqrt(
        baseline * (1.0 - baseline) + other * (1.0 - other)
    )
    return max(1, math.ceil((spread / effect) ** 2))


def mean_sample_size(standard_deviation: float, effect: float, alpha: float, power: float) -> int:
    """Observations per arm for a two-sided z test of two means with a common spread."""
    if effect == 0.0:
        raise ValueError("the effect to find must not be 0")
    z_sum = chosen().normal_quantile(1.0 - alpha / 2.0) + chosen().normal_quantile(power)
    return max(2, math.ceil(2.0 * (z_sum * standard_deviation / effect) ** 2))


@dataclass(frozen=True)
class Mean:
    """An average with its spread: `n` observations, their sample standard deviation, and the
    Student's t interval of the mean."""

    n: int
    mean: float
    standard_deviation: float
    interval: Interval | None  # None for one observation: no spread to estimate

    @property
    def variance_of_mean(self) -> float:
        return self.standard_deviation**2 / self.n


def mean_from_sums(n: int, total: float, squares: float, confidence: float = CONFIDENCE) -> Mean | None:
    """The mean and its interval from n, the sum and the sum of squares; None with nothing counted."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return Mean(1, mean, 0.0, None)
    # Counters are whole numbers, so rounding only ever pushes a zero variance just below zero.
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    deviation = math.sqrt(variance)
    half = chosen().t_quantile(0.5 + confidence / 2.0, n - 1) * deviation / math.sqrt(n)
    return Mean(n, mean, deviation, Interval(mean - half, mean + half))


def mean_from_histogram(histogram: Mapping[int, int], confidence: float = CONFIDENCE) -> Mean | None:
    """The mean and its interval from value → count (CSAT's `csat1`..`csat5`)."""
    n = sum(histogram.values())
    total = sum(value * count for value, count in histogram.items())
    squares = sum(value * value * count for value, count in histogram.items())
    return mean_from_sums(n, total, squares, confidence)


def mixture_likelihood_ratio(
    difference: float, variance: float, mixing_variance: float, null: float = 0.0
) -> float:
    """The mSPRT statistic: the likelihood of the observed difference when the true difference is
    drawn from N(null, mixing_variance), over its likelihood when it is `null`, the difference being
    normal with `variance`. The test rejects the null once this reaches 1 / alpha."""
    if variance <= 0.0 or mixing_variance <= 0.0:
        raise ValueError("the variance and the mixing variance must be positive")
    shift = difference - null
    exponent = mixing_variance * shift * shift / (2.0 * variance * (variance + mixing_variance))
    return math.sqrt(variance / (variance + mixing_variance)) * math.exp(min(exponent, 700.0))


# Which KPI is which kind of figure. Every rate of `kpi.RATES` whose numerator counts calls among
# its denominator's calls is a proportion; the three averages carry their spread in the counters.
PROPORTIONS = {rate.key: rate for rate in kpi.JUDGED_RATES}
SUMS_OF_SQUARES = {
    kpi.AVERAGE_HANDLE_SECONDS.key: (kpi.AVERAGE_HANDLE_SECONDS, "handleSecondsSquared"),
    kpi.AVERAGE_QUEUE_WAIT_SECONDS.key: (kpi.AVERAGE_QUEUE_WAIT_SECONDS, "queueWaitSecondsSquared"),
}
HISTOGRAMS = {kpi.CSAT_AVERAGE.key: kpi.CSAT_HISTOGRAM}
METRICS = (*PROPORTIONS, *SUMS_OF_SQUARES, *HISTOGRAMS)  # what an experiment can measure


@dataclass(frozen=True)
class Estimate:
    """One arm's figure for a metric: its value, interval, the observations it is of (`trials`:
    the denominator) and, for a proportion, the `successes` counted (the interval is recomputable
    from those two), else the mean's standard deviation."""

    metric: str
    value: float
    interval: Interval | None
    trials: int
    successes: int | None = None
    standard_deviation: float | None = None

    @property
    def variance(self) -> float:
        """The estimate's own variance (of the proportion, or of the mean)."""
        if self.successes is not None:
            return self.value * (1.0 - self.value) / self.trials
        return (self.standard_deviation or 0.0) ** 2 / self.trials

    def to_dict(self) -> dict[str, object]:
        counts: dict[str, object] = {"trials": self.trials}
        if self.successes is not None:
            counts["successes"] = self.successes
        else:
            counts["standardDeviation"] = self.standard_deviation
        return {
            "value": self.value,
            "interval": None if self.interval is None else self.interval.to_dict(),
            **counts,
        }


def estimate(metric: str, counts: Mapping[str, int], confidence: float = CONFIDENCE) -> Estimate | None:
    """`metric` (a key of `METRICS`) of one arm's summed counters; None when it has no denominator."""
    if metric in PROPORTIONS:
        rate = PROPORTIONS[metric]
        trials = counts.get(rate.denominator, 0)
        successes = sum(counts.get(name, 0) for name in rate.numerator)
        interval = wilson(successes, trials, confidence)
        if interval is None:
            return None
        return Estimate(metric, successes / trials, interval, trials, successes=successes)
    if metric in SUMS_OF_SQUARES:
        rate, squares = SUMS_OF_SQUARES[metric]
        mean = mean_from_sums(
            counts.get(rate.denominator, 0),
            counts.get(rate.numerator[0], 0),
            counts.get(squares, 0),
            confidence,
        )
    elif metric in HISTOGRAMS:
        mean = mean_from_histogram(
            {v: counts.get(name, 0) for v, name in HISTOGRAMS[metric].items()}, confidence
        )
    else:
        raise ValueError(f"{metric!r} is not a metric an experiment can measure ({', '.join(METRICS)})")
    if mean is None:
        return None
    return Estimate(metric, mean.mean, mean.interval, mean.n, standard_deviation=mean.standard_deviation)


@dataclass(frozen=True)
class Comparison:
    """The challenger's figure minus the champion's, with its interval and two-sided test."""

    metric: str
    difference: float
    interval: Interval | None
    test: ZTest | None
    method: str  # how the interval and the test were made

    def to_dict(self) -> dict[str, object]:
        return {
            "difference": self.difference,
            "interval": None if self.interval is None else self.interval.to_dict(),
            "test": None if self.test is None else self.test.to_dict(),
            "method": self.method,
        }


NEWCOMBE_METHOD = "Newcombe hybrid score interval; pooled two-proportion z test"
WELCH_METHOD = "difference of means, Welch standard error, normal interval and z test"


def compare(champion: Estimate, challenger: Estimate, confidence: float = CONFIDENCE) -> Comparison:
    """challenger - champion for one metric: Newcombe and the pooled z test for a proportion,
    Welch's standard error (normal) for a mean."""
    difference = challenger.value - champion.value
    if champion.successes is not None and challenger.successes is not None:
        return Comparison(
            champion.metric,
            difference,
            newcombe(
                champion.successes, champion.trials, challenger.successes, challenger.trials, confidence
            ),
            two_proportion_test(champion.successes, champion.trials, challenger.successes, challenger.trials),
            NEWCOMBE_METHOD,
        )
    standard_error = math.sqrt(champion.variance + challenger.variance)
    half = two_sided_z(confidence) * standard_error
    interval = Interval(difference - half, difference + half) if standard_error > 0 else None
    return Comparison(champion.metric, difference, interval, z_test(difference, standard_error), WELCH_METHOD)


# The mSPRT needs a few observations per arm before its normal reading of the difference means
# anything: with fewer, a look is skipped (skipping looks never costs the guarantee, only time).
MIN_TRIALS_PER_ARM = 30


@dataclass(frozen=True)
class SequentialLook:
    """One look of the mSPRT at a difference: `worsening` is how much worse the challenger is (in
    the metric's bad direction; negative when better), tested against `margin`."""

    metric: str
    worsening: float
    margin: float
    likelihood_ratio: float | None  # None: too few observations to look
    threshold: float  # 1 / alpha
    mixing_sd: float

    @property
    def rejects(self) -> bool:
        """The null (the true worsening is `margin`) is rejected: the evidence is conclusive."""
        return self.likelihood_ratio is not None and self.likelihood_ratio >= self.threshold

    @property
    def worse(self) -> bool:
        """Shown worse by more than the margin: what stops an experiment on a guardrail."""
        return self.rejects and self.worsening > self.margin

    @property
    def better(self) -> bool:
        return self.rejects and self.worsening < self.margin

    def to_dict(self) -> dict[str, object]:
        return {
            "worsening": self.worsening,
            "margin": self.margin,
            "likelihoodRatio": self.likelihood_ratio,
            "threshold": self.threshold,
            "mixingStandardDeviation": self.mixing_sd,
            "rejects": self.rejects,
            "worse": self.worse,
        }


def sequential_look(
    champion: Estimate,
    challenger: Estimate,
    *,
    better: str,
    alpha: float,
    margin: float = 0.0,
    mixing_sd: float,
) -> SequentialLook:
    """The mSPRT at this look: H0 "the challenger is worse by exactly `margin`" (in the direction
    `better` says is bad: `higher` is better, so lower is worse), with a normal mixture of standard
    deviation `mixing_sd` around it. `worse` is the guardrail's stop; `rejects` with the sign of
    `worsening` is the early verdict on a primary metric (margin 0)."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
    sign = 1.0 if better == "lower" else -1.0
    worsening = sign * (challenger.value - champion.value)
    variance = champion.variance + challenger.variance
    enough = min(champion.trials, challenger.trials) >= MIN_TRIALS_PER_ARM and variance > 0.0
    ratio = mixture_likelihood_ratio(worsening, variance, mixing_sd**2, margin) if enough else None
    return SequentialLook(champion.metric, worsening, margin, ratio, 1.0 / alpha, mixing_sd)


def counters_of(metric: str) -> tuple[str, ...]:
    """The counters `metric` is computed from: what a report shows next to its interval."""
    if metric in PROPORTIONS:
        rate = PROPORTIONS[metric]
        return (*rate.numerator, rate.denominator)
    if metric in SUMS_OF_SQUARES:
        rate, squares = SUMS_OF_SQUARES[metric]
        return (*rate.numerator, squares, rate.denominator)
    if metric in HISTOGRAMS:
        return tuple(HISTOGRAMS[metric].values())
    raise ValueError(f"{metric!r} is not a metric an experiment can measure ({', '.join(METRICS)})")


def guardrail_alpha(alpha: float, guardrails: int) -> float:
    """Each guardrail's share of alpha (Bonferroni): the chance that any of them stops an experiment
    that does no harm stays at most alpha, however the metrics are correlated."""
    return alpha / max(1, guardrails)


def guardrail_look(
    metric: str,
    *,
    better: str,
    max_worsening: float,
    champion: Mapping[str, int],
    challenger: Mapping[str, int],
    alpha: float,
) -> SequentialLook | None:
    """A guardrail's look at the arms' summed counters: `worse` when the mSPRT shows the challenger
    worse than the champion by more than `max_worsening` (H0 at the margin, the mixture's standard
    deviation the margin itself: harms about as large again as the tolerance are what it is tuned
    to find quickly). None while an arm has nothing to measure. `alpha` is this guardrail's own
    (`guardrail_alpha`)."""
    champion_estimate, challenger_estimate = estimate(metric, champion), estimate(metric, challenger)
    if champion_estimate is None or challenger_estimate is None:
        return None
    return sequential_look(
        champion_estimate,
        challenger_estimate,
        better=better,
        alpha=alpha,
        margin=max_worsening,
        mixing_sd=max(max_worsening, MIN_MIXING_SD),
    )


# A margin of 0 ("no worsening at all") still needs a scale for the mixture: a percentage point.
MIN_MIXING_SD = 0.01
