"""flow tests: how long `tandem test` takes over flows/tests/ (one sandbox, reset between cases)."""

from __future__ import annotations

import contextlib
import io
import statistics

from bench.common import heading
from tandem.flowtest import RunOptions, find_cases, read, run_case, run_suite

ROUNDS = 3

SUITE_GOAL_SECONDS = 30  # issue 21: all of flows/tests/ locally


def main(rounds: int = ROUNDS) -> None:
    heading("flow tests")
    paths = find_cases()
    options = RunOptions()
    with contextlib.redirect_stdout(io.StringIO()):  # warm-up: imports, service models, handlers
        run_case(read(paths[0]), options)
    totals: list[float] = []
    per_case: list[float] = []
    for _ in range(rounds):
        run = run_suite(paths, options)
        assert not run.problems, run.problems
        totals.append(run.seconds)
        per_case.extend(r.seconds for r in run.results)
    local_only = sum("Faults" in p.read_text(encoding="utf-8") for p in paths)
    print(
        f"  {len(paths)} test cases in flows/tests/ ({local_only} local-only), "
        f"{rounds} rounds after a warm-up"
    )
    median = statistics.median(totals)
    print(
        f"  whole suite (one sandbox, set-up included): median {median:.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f}; goal < {SUITE_GOAL_SECONDS} s: "
        f"{'met' if median < SUITE_GOAL_SECONDS else 'NOT met'})"
    )
    print(f"  per test case: median {statistics.median(per_case):.3f} s, max {max(per_case):.2f} s")


if __name__ == "__main__":
    main()
