"""Experiments: does the guardrail stop harm, and only harm, though it looks every day?

Simulated experiments, each 28 days with a daily look at the guardrails by the guard's own function
(`guardrail_look` in lambdas/shared/experiment_stats.py, the mSPRT with a normal mixture; each of
the three guardrails gets alpha / 3). Every day each arm gets `CALLS_PER_ARM` calls whose counters
are drawn as binomials (numpy, here only): queued calls and their abandons, recontacts, ratings and
the low ones among them, resolutions. Three runs:

- A/A, the guardrails as configured (abandon +2 points, recontact +3, low CSAT +5 tolerated);
- A/A, strict (every tolerance 0): the null is then the truth itself, the hardest case for false
  stops; a fixed-horizon z test repeated daily on the same data shows what peeking would cost;
- harm: the challenger's recontact rate 10 points higher and low CSAT share 10 points higher.

The goal: A/A false stops at most alpha + 1 percentage point.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from bench.common import heading
from lambdas.shared import experiment_stats as es

ALPHA = 0.05
DAYS = 28
EXPERIMENTS = 2_000
CALLS_PER_ARM = 250  # a day: a centre of 500 calls a day, half to the challenger
GOAL = ALPHA + 0.01
# Champion's rates: share queued, abandon (of queued), recontact, share rated, low (of rated), resolution
BASE = {"queued": 0.4, "abandon": 0.08, "recontact": 0.15, "rated": 0.25, "low": 0.2, "resolved": 0.45}
HARM = {"recontact": 0.25, "low": 0.3}
GUARDRAILS = (("abandonRate", 0.02), ("recontactRate", 0.03), ("lowCsatShare", 0.05))


@dataclass(frozen=True)
class Outcome:
    experiments: int
    stopped: int
    stop_days: tuple[int, ...]
    peeking_z_stops: int  # a fixed-horizon z test (alpha / 3 a guardrail) repeated every day

    @property
    def stop_rate(self) -> float:
        return self.stopped / self.experiments

    @property
    def peeking_rate(self) -> float:
        return self.peeking_z_stops / self.experiments

    @property
    def median_stop_day(self) -> float | None:
        return statistics.median(self.stop_days) if self.stop_days else None


def _daily(
    rng: np.random.Generator, shape: tuple[int, ...], rates: dict[str, float]
) -> dict[str, np.ndarray]:
    """Each counter per experiment and day (cumulative), for one arm."""
    calls = np.full(shape, CALLS_PER_ARM)
    queued = rng.binomial(calls, rates["queued"])
    rated = rng.binomial(calls, rates["rated"])
    daily = {
        "contacts": calls,
        "queued": queued,
        "abandoned": rng.binomial(queued, rates["abandon"]),
        "recontacted": rng.binomial(calls, rates["recontact"]),
        "csatCount": rated,
        "csat1": rng.binomial(rated, rates["low"]),
        "resolved": rng.binomial(calls, rates["resolved"]),
    }
    return {name: np.cumsum(values, axis=1) for name, values in daily.items()}


def simulate(
    experiments: int, *, seed: int, harm: dict[str, float] | None = None, margins: bool = True
) -> Outcome:
    """`experiments` simulated experiments looked at every day; the challenger's rates are the
    champion's unless `harm` changes some. `margins`: the guardrails' tolerances, or 0 for each."""
    rng = np.random.default_rng(seed)
    shape = (experiments, DAYS)
    champion = _daily(rng, shape, BASE)
    challenger = _daily(rng, shape, BASE | (harm or {}))
    alpha = es.guardrail_alpha(ALPHA, len(GUARDRAILS))
    critical = es.normal_quantile(1 - alpha)  # one-sided, as the guardrail
    stop_days, peeking = [], 0
    for n in range(experiments):
        stopped_on, peeked = None, False
        for day in range(DAYS):
            a = {name: int(values[n, day]) for name, values in champion.items()}
            b = {name: int(values[n, day]) for name, values in challenger.items()}
            for metric, margin in GUARDRAILS:
                look = es.guardrail_look(
                    metric,
                    better="lower",
                    max_worsening=margin if margins else 0.0,
                    champion=a,
                    challenger=b,
                    alpha=alpha,
                )
                if look is not None and look.worse and stopped_on is None:
                    stopped_on = day + 1
                if not peeked and _z_says_worse(metric, a, b, critical):
                    peeked = True
            if stopped_on is not None and peeked:
                break
        if stopped_on is not None:
            stop_days.append(stopped_on)
        peeking += peeked
    return Outcome(experiments, len(stop_days), tuple(stop_days), peeking)


def _z_says_worse(metric: str, champion: dict[str, int], challenger: dict[str, int], critical: float) -> bool:
    """What a daily look with a fixed-horizon test would conclude: the pooled z test, one-sided."""
    a, b = es.estimate(metric, champion), es.estimate(metric, challenger)
    if a is None or b is None or a.successes is None or b.successes is None:
        return False
    test = es.two_proportion_test(a.successes, a.trials, b.successes, b.trials)
    return test is not None and test.z > critical


def main(experiments: int = EXPERIMENTS) -> None:
    heading("experiments: guardrail looks every day (mSPRT, normal mixture)")
    started = time.perf_counter()
    configured = simulate(experiments, seed=20261204)
    strict = simulate(experiments, seed=20261205, margins=False)
    harmed = simulate(experiments, seed=20261206, harm=HARM)
    elapsed = time.perf_counter() - started
    looks = f"{experiments:,} experiments x {DAYS} daily looks, {CALLS_PER_ARM} calls per arm a day"
    for name, outcome in (("as configured", configured), ("strict, every tolerance 0", strict)):
        met = "met" if outcome.stop_rate <= GOAL else "NOT MET"
        print(
            f"A/A, guardrails {name}: false stops {outcome.stop_rate:.2%} of {looks} "
            f"(goal <= alpha + 1 point = {GOAL:.0%}: {met})"
        )
    print(
        f"  for comparison, a fixed-horizon z test looked at daily on the strict A/A data: "
        f"{strict.peeking_rate:.1%} false stops"
    )
    print(
        f"harm (recontact {BASE['recontact']:.0%} -> {HARM['recontact']:.0%}, low CSAT {BASE['low']:.0%} -> "
        f"{HARM['low']:.0%}): stopped {harmed.stop_rate:.1%}, "
        f"median stop day {harmed.median_stop_day} of {DAYS}"
    )
    print(f"({elapsed:.1f} s for the three simulations)")


if __name__ == "__main__":
    main()
