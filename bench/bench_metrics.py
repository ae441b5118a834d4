"""Contact-record ingestion and the KPI report, on the sandbox (moto).

Prints ctr_ingest's processing throughput (records per second through the real handler, Kinesis
event in, counters written), its DynamoDB calls per 100 records (goal <= 3), what a batch with
refused records costs on top (listing and queue), and the report's reads and time over 365 days of
counters. Moto's latency is not DynamoDB's: the calls per record
and reads per report are the figures that carry over; the times compare runs on one machine.
"""

from __future__ import annotations

import base64
import json
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import heading, verdict
from lambdas.shared.counters import counter_key
from lambdas.shared.kpi import COUNTERS
from tandem.kpi_report import build_report
from tandem.local import Sandbox, sandbox

CALLS_PER_100_BUDGET = 4
# Issue 18's goal: one item per record (a single-segment call's state in its caller's item,
# lambdas/ctr_ingest/call_homes.py) makes it 1 read and 2 transactions.
CALLS_PER_100_GOAL = 3
BATCH = 100
BATCHES = 10
RULES = ("routine-self-service", "vip-customer", "repeat-caller", "explicit-agent-request", "default")


def record(n: int, rng: random.Random) -> dict[str, Any]:
    """A plausible CTR: a third self-served, the rest queued (most answered), one segment each,
    a thousand a day over eight hours in stream order, one experiment running;
    about one caller in ten rang before (a few dozen numbers), the others are new."""
    # In stream order: the n-th record of the day starts about 29 s after the one before (a thousand
    # calls over eight hours), so a batch of 100 spans about 48 minutes, as the live stream delivers.
    moment = datetime(2026, 11, 23 + n // 1000 % 5, 14, tzinfo=UTC) + timedelta(seconds=n % 1000 * 29)
    start = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = n % 3 != 0
    answered = queued and n % 7 != 0
    return {
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "ContactId": f"bench-{n:08d}-0000-4000-8000-000000000000",
        "InitialContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": start,
        "ConnectedToSystemTimestamp": start,
        "LastUpdateTimestamp": start,
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "CustomerEndpoint": {"Address": caller_number(rng), "Type": "TELEPHONE_NUMBER"},
        "Queue": {"Name": "general", "EnqueueTimestamp": start, "Duration": rng.randint(5, 600)}
        if queued
        else None,
        "Agent": {
            "ConnectedToAgentTimestamp": start,
            "AgentInteractionDuration": rng.randint(60, 600),
            "CustomerHoldDuration": rng.randint(0, 90),
            "AfterContactWorkDuration": rng.randint(10, 120),
        }
        if answered
        else None,
        "Attributes": {
            "tandemOutcome": "QUEUED" if queued else "SELF_SERVED",
            "route": "AGENT" if queued else "SELF_SERVICE",
            "intent": rng.choice(("ORDER_STATUS", "RETURN_POLICY", "BILLING_DISPUTE", "COMPLAINT")),
            "reasons": rng.choice(("VIP_CUSTOMER", "REPEAT_CALLER", "ASKED_FOR_AGENT", "")),
            "csat": rng.choice(("", "3", "4", "5")),
            "ruleId": rng.choice(RULES),
            "variant": "challenger" if rng.random() < 0.2 else "champion",
            "experimentId": "exp-2026-12",
        },
    }


def caller_number(rng: random.Random) -> str:
    repeat = rng.random() < 0.1
    return f"+1202555{rng.randint(0, 39):04d}" if repeat else f"+1312{rng.randint(2_000_000, 9_999_999)}"


def kinesis_event(records: list[dict[str, Any]], first: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "sequenceNumber": f"{first + i:030d}",
                    "data": base64.b64encode(json.dumps(r).encode()).decode(),
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
            }
            for i, r in enumerate(records)
        ]
    }


class TimedClient:
    """The store's DynamoDB client, timed: moto's time is not ctr_ingest's processing."""

    def __init__(self, real: Any) -> None:
        self.real, self.seconds = real, 0.0
        self.exceptions = real.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def timed(**kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(**kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def _ingestion(box: Sandbox) -> None:
    from lambdas.ctr_ingest.handler import CONTAINER

    rng = random.Random(11)
    records = [record(n, rng) for n in range(BATCH * BATCHES)]
    box.invoke("ctr_ingest", kinesis_event([record(10**6, rng)], 10**6))  # warm: imports and clients
    store = CONTAINER.get().store
    timed = TimedClient(store.dynamodb)
    store.dynamodb = timed
    seconds, calls = [], []
    for b in range(BATCHES):
        batch = records[b * BATCH : (b + 1) * BATCH]
        started = time.perf_counter()
        answer = box.invoke("ctr_ingest", kinesis_event(batch, b * BATCH))
        seconds.append(time.perf_counter() - started)
        assert answer == {"batchItemFailures": []}, answer
        calls.append(len([c for c in box.last.aws_calls if c.startswith("dynamodb.")]))
    total = sum(seconds)
    store.dynamodb = timed.real
    processing = total - timed.seconds
    per_100 = statistics.mean(calls) * 100 / BATCH
    print(
        f"ingestion: {BATCH * BATCHES} records in {BATCHES} Kinesis batches of {BATCH}: "
        f"{BATCH * BATCHES / processing:.0f} records/s of processing (parse, classify, merge, deltas; "
        f"DynamoDB time excluded)"
    )
    print(
        f"  with moto's DynamoDB: {BATCH * BATCHES / total:.0f} records/s end to end "
        f"({timed.seconds / total:.0%} of the time inside moto, mostly TransactWriteItems)"
    )
    print(
        f"DynamoDB calls per 100 records: {per_100:.1f} "
        f"(goal <= {CALLS_PER_100_GOAL}: {verdict(per_100, CALLS_PER_100_GOAL)}; "
        f"before recontacts, budget <= {CALLS_PER_100_BUDGET}: {verdict(per_100, CALLS_PER_100_BUDGET)})"
    )
    # Redelivery: the same batches again count nothing and cost the reads only
    again = box.invoke("ctr_ingest", kinesis_event(records[:BATCH], 0))
    assert again == {"batchItemFailures": []}
    repeat_calls = len([c for c in box.last.aws_calls if c.startswith("dynamodb.")])
    print(f"a redelivered batch of {BATCH}: {repeat_calls} DynamoDB call(s), nothing counted twice")
    _with_refusals(box, rng)


REFUSED_PER_BATCH = 5


def _with_refusals(box: Sandbox, rng: random.Random) -> None:
    """A batch of 100 of which 5 are refused (an agent's name for Agent): the extra calls they cost."""
    records = [record(20_000 + n, rng) for n in range(BATCH)]
    for n in range(REFUSED_PER_BATCH):
        records[n * 20]["Agent"] = "Rachel"
    answer = box.invoke("ctr_ingest", kinesis_event(records, 20_000))
    assert answer == {"batchItemFailures": []}, answer
    calls = box.last.aws_calls
    dynamodb = len([c for c in calls if c.startswith("dynamodb.")])
    sqs = len([c for c in calls if c.startswith("sqs.")])
    print(
        f"a batch of {BATCH} with {REFUSED_PER_BATCH} refused: {dynamodb} DynamoDB calls "
        f"(budget <= {CALLS_PER_100_BUDGET}: {verdict(dynamodb, CALLS_PER_100_BUDGET)}) "
        f"and {sqs} SQS call(s); a batch without refusals makes no listing or queue call"
    )


def _report(box: Sandbox) -> None:
    """A year of counters (4 intents a day), then the report by intent over the whole year."""
    client, table = box.client("dynamodb"), box.table_names["METRICS_TABLE"]
    first = date(2025, 11, 24)
    values = {"all": ("all",), "intent": ("ORDER_STATUS", "RETURN_POLICY", "BILLING_DISPUTE", "COMPLAINT")}
    for offset in range(365):
        day = (first + timedelta(days=offset)).isoformat()
        for dimension, names in values.items():
            for value in names:
                item = {k: {"S": v} for k, v in counter_key(dimension, day, value).items()}
                item |= {name: {"N": str(10 + offset % 7)} for name in COUNTERS}
                client.put_item(TableName=table, Item=item)
    started = time.perf_counter()
    report = build_report(client, table, first, first + timedelta(days=364), "intent")
    elapsed = time.perf_counter() - started
    print(
        f"report over 365 days by intent: {report.reads.requests} DynamoDB requests "
        f"(one Query per dimension, paged), {elapsed * 1000:.0f} ms on moto, "
        f"{len(report.rows)} intent rows"
    )


def main() -> None:
    heading("metrics (ctr_ingest and tandem report)")
    with sandbox(attach=False) as box:
        _ingestion(box)
    with sandbox(attach=False) as box:
        _report(box)


if __name__ == "__main__":
    main()
