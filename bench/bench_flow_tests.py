"""flow tests: how long `tandem test` takes over flows/tests/ (each case on a fresh sandbox)."""

from __future__ import annotations

import contextlib
import io
import statistics
import time

from bench.common import heading
from tandem.flowtest import RunOptions, find_cases, read, run_case

ROUNDS = 3


def main(rounds: int = ROUNDS) -> None:
    heading("flow tests")
    paths = find_cases()
    options = RunOptions()
    with contextlib.redirect_stdout(io.StringIO()):  # warm-up: imports, service models, handlers
        run_case(read(paths[0]), options)
    totals: list[float] = []
    per_case: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        for path in paths:
            result = run_case(read(path), options)
            per_case.append(result.seconds)
        totals.append(time.perf_counter() - started)
    print(f"  {len(paths)} test cases in flows/tests/, {rounds} rounds after a warm-up")
    print(
        f"  whole suite: median {statistics.median(totals):.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f})"
    )
    print(f"  per test case: median {statistics.median(per_case):.2f} s, max {max(per_case):.2f} s")


if __name__ == "__main__":
    main()
