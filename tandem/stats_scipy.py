"""scipy's normal and Student's t distributions, for the experiment statistics the CLI computes.

lambdas/shared/experiment_stats.py holds the formulas (Wilson, Newcombe, the z test, sample sizes,
the t interval of a mean) and reads its distributions through `Distributions`. The guard, a Lambda,
uses the module's own pure-Python ones; the CLI computes with scipy's (`with using(SCIPY): ...`),
and tests/unit/test_experiment_stats.py checks the two agree.
"""

from __future__ import annotations

from scipy import stats

from lambdas.shared.experiment_stats import Distributions


def _normal_cdf(x: float) -> float:
    return float(stats.norm.cdf(x))


def _normal_quantile(p: float) -> float:
    return float(stats.norm.ppf(p))


def _t_quantile(p: float, df: int) -> float:
    return float(stats.t.ppf(p, df))


SCIPY = Distributions("scipy", _normal_cdf, _normal_quantile, _t_quantile)
