"""`make bench`: run every benchmark and print its figures."""

from __future__ import annotations

import argparse

from bench import (
    bench_cold_start,
    bench_crm_lookup,
    bench_escalation,
    bench_experiments,
    bench_flow_tests,
    bench_flows,
    bench_ivr_decision,
    bench_metrics,
    bench_overhead,
    bench_replay,
    bench_rules,
    bench_scale,
    bench_test_fixtures,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--runs", type=int, default=15, help="fresh interpreters per cold-start figure (at least 15)"
    )
    parser.add_argument("--full", action="store_true", help="also the 10,000-call day (`make bench-full`)")
    args = parser.parse_args()
    print("Tandem benchmarks (ratios are robust to a noisy machine; absolute times are not)")
    bench_cold_start.main(runs=args.runs)
    bench_crm_lookup.main()
    bench_ivr_decision.main()
    bench_rules.main()
    bench_replay.main()
    bench_experiments.main()
    bench_escalation.main()
    bench_overhead.main()
    bench_flows.main()
    bench_flow_tests.main()
    bench_metrics.main()
    bench_scale.main(full=args.full)
    bench_test_fixtures.main()


if __name__ == "__main__":
    main()
