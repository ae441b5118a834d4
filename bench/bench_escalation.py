"""escalation: AWS calls per warm invocation; its cold start is in bench_cold_start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.common import heading, verdict
from tandem.demo.events import DemoCall, contact_event
from tandem.local import sandbox

WARM_CALLS_BUDGET = 1
MONDAY_10_NY = datetime(2026, 11, 23, 15, tzinfo=UTC)
METRICS = {
    "agentsAvailable": "1",
    "agentsStaffed": "4",
    "contactsInQueue": "3",
    "oldestContactAgeSeconds": "60",
}


def main() -> None:
    heading("escalation")
    _aws_calls()


def _event(index: int, **parameters: str) -> dict[str, Any]:
    raw = contact_event(DemoCall("bench", "+12025550102"), index)
    raw["Details"]["Parameters"] = {
        "route": "AGENT",
        "reasons": "ASKED_FOR_AGENT",
        "intent": "ORDER_STATUS",
    } | parameters
    return raw


def _aws_calls() -> None:
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        box.invoke("escalation", _event(1, **METRICS))  # cold: the store read happens here
        with_metrics = []
        for index in range(2, 40):
            box.invoke("escalation", _event(index, **METRICS))
            with_metrics.append(len(box.last.aws_calls))
        box.invoke("escalation", _event(100))
        without = box.last.aws_calls
    worst = max(with_metrics)
    print(
        f"AWS calls per warm invocation, flow passes queue metrics: {worst} (the handoff write; "
        f"budget {WARM_CALLS_BUDGET}: {verdict(worst, WARM_CALLS_BUDGET)})"
    )
    print(
        f"AWS calls when the flow passes no metrics: {len(without)} ({', '.join(without)}); "
        "GetCurrentMetricData is then cached 5 s per queue and rate-limited per container"
    )
