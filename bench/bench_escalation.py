"""escalation: AWS calls per warm invocation and cold import ratio."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.common import cold_import_ratio, heading, verdict
from tandem.demo.events import DemoCall, contact_event
from tandem.local import sandbox

IMPORT_BUDGET = 1.3
WARM_CALLS_BUDGET = 1
MONDAY_10_NY = datetime(2026, 11, 23, 15, tzinfo=UTC)
QUEUE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000000/queue/q-{}"
# Clients are built and the store read at init, as in Lambda; the endpoint is a closed local port.
IMPORT_ENV = {
    "IVR_CONFIG_PATH": "/bench/ivr",
    "TIME_ZONE": "America/New_York",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "CONNECT_INSTANCE_ARN": QUEUE_ARN.split("/queue/", maxsplit=1)[0],
    "KEYED_HASH_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/keyed-hash-AbCdEf",
    "QUEUE_ARNS": '{"general":"'
    + QUEUE_ARN.format("general")
    + '","callback":"'
    + QUEUE_ARN.format("callback")
    + '"}',
}
METRICS = {
    "agentsAvailable": "1",
    "agentsStaffed": "4",
    "contactsInQueue": "3",
    "oldestContactAgeSeconds": "60",
}


def main(runs: int = 15) -> None:
    heading("escalation")
    _aws_calls()
    mine, baseline, ratio = cold_import_ratio("lambdas.escalation.handler", runs, IMPORT_ENV)
    print(
        f"cold import (median of {runs} fresh interpreters, clients built and store read at init): "
        f"handler {mine * 1000:.0f} ms, boto3 + dynamodb client {baseline * 1000:.0f} ms"
    )
    print(f"cold import ratio: {ratio:.2f} (budget <= {IMPORT_BUDGET}: {verdict(ratio, IMPORT_BUDGET)})")


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
