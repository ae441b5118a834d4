"""The guardrail's repeated looks, simulated small with fixed seeds (bench/bench_experiments.py runs
2,000 experiments of each kind and prints the figures).

A/A experiments looked at every day for 28 days must stop falsely at most alpha + 1 point, even
with every tolerance 0 (the null is then exactly the truth); on the same data a fixed-horizon z test
looked at daily stops far more often, which is what the always-valid method is for. A real harm
must be stopped, and early.
"""

from __future__ import annotations

from bench.bench_experiments import DAYS, GOAL, HARM, simulate

EXPERIMENTS = 150


def test_a_a_experiments_rarely_stop_though_looked_at_daily() -> None:
    strict = simulate(EXPERIMENTS, seed=11, margins=False)
    configured = simulate(EXPERIMENTS, seed=12)
    assert strict.stop_rate <= GOAL
    assert configured.stop_rate <= GOAL
    # The same looks with a test made for one look would have stopped many of them
    assert strict.peeking_rate > 3 * GOAL


def test_a_harmful_challenger_is_stopped_early() -> None:
    harmed = simulate(EXPERIMENTS, seed=13, harm=HARM)
    assert harmed.stop_rate >= 0.95
    assert harmed.median_stop_day is not None and harmed.median_stop_day <= DAYS // 4
