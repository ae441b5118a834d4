"""crm_lookup: AWS calls per invocation (cache miss and hit); its cold start is in bench_cold_start."""

from __future__ import annotations

import statistics
import time

from bench.common import heading, verdict
from tandem.demo.events import DemoCall, contact_event
from tandem.local import sandbox

MISS_BUDGET, HIT_BUDGET = 1, 0


def main() -> None:
    heading("crm_lookup")

    with sandbox(attach=False) as box:
        known = contact_event(DemoCall("known", "+12025550101"), 1)
        box.invoke("crm_lookup", known)
        miss = len(box.last.aws_calls)
        box.invoke("crm_lookup", known)
        hit = len(box.last.aws_calls)
        for label, calls, budget in (("cache miss", miss, MISS_BUDGET), ("cache hit", hit, HIT_BUDGET)):
            print(f"AWS calls per invocation, {label}: {calls} (budget {budget}: {verdict(calls, budget)})")

        warm: list[float] = []
        for _ in range(200):
            started = time.perf_counter()
            box.invoke("crm_lookup", known)
            warm.append((time.perf_counter() - started) * 1000)
        print(
            f"warm cache-hit invocation on the sandbox: p50 {statistics.median(warm):.2f} ms "
            f"(includes the sandbox's log and metric capture)"
        )


if __name__ == "__main__":
    main()
