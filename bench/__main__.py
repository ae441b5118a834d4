"""`make bench`: run every benchmark and print its figures."""

from __future__ import annotations

import argparse

from bench import (
    bench_cold_start,
    bench_crm_lookup,
    bench_escalation,
    bench_flows,
    bench_ivr_decision,
    bench_metrics,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--runs", type=int, default=15, help="fresh interpreters per cold-start figure (at least 15)"
    )
    args = parser.parse_args()
    print("Tandem benchmarks (ratios are robust to a noisy machine; absolute times are not)")
    bench_cold_start.main(runs=args.runs)
    bench_crm_lookup.main()
    bench_ivr_decision.main()
    bench_escalation.main()
    bench_flows.main()
    bench_metrics.main()


if __name__ == "__main__":
    main()
