"""crm_lookup: cold import ratio and AWS calls per invocation (cache miss and hit)."""

from __future__ import annotations

import statistics
import time

from bench.common import cold_import_ratio, heading, verdict
from tandem.demo.events import DemoCall, contact_event
from tandem.local import sandbox

IMPORT_BUDGET = 1.3
MISS_BUDGET, HIT_BUDGET = 1, 0


def main(runs: int = 15) -> None:
    heading("crm_lookup")
    mine, baseline, ratio = cold_import_ratio("lambdas.crm_lookup.handler", runs)
    print(
        f"cold import (median of {runs} fresh interpreters): handler {mine * 1000:.0f} ms, "
        f"boto3 + dynamodb client {baseline * 1000:.0f} ms"
    )
    print(f"cold import ratio: {ratio:.2f} (budget <= {IMPORT_BUDGET}: {verdict(ratio, IMPORT_BUDGET)})")

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
