"""ctr_ingest's handler on moto: Kinesis batches in, per-day counters out, each call once."""

from __future__ import annotations

import base64
import functools
import json
import random
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault
from tests.unit.test_ctr_classify import ctr

DAY = "2025-03-04"  # ctr()'s calls start 2025-03-04 14:15 UTC, 09:15 in New York


def kinesis_event(*records: dict[str, Any] | bytes) -> dict[str, Any]:
    """The event Lambda's Kinesis event source sends: base64 data, a sequence number each."""
    items = []
    for index, record in enumerate(records):
        data = record if isinstance(record, bytes) else json.dumps(record).encode()
        items.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "p",
                    "sequenceNumber": f"4959{index:020d}",
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1741097700.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:4959{index:020d}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/tandem-ctr",
            }
        )
    return {"Records": items}


def counters(box: Sandbox, dimension: str = "all", value: str = "all") -> dict[str, int]:
    item = (
        box.client("dynamodb")
        .get_item(
            TableName=box.table_names["METRICS_TABLE"],
            Key={"pk": {"S": f"DIM#{dimension}"}, "sk": {"S": f"{DAY}#{value}"}},
        )
        .get("Item", {})
    )
    return {k: int(v["N"]) for k, v in item.items() if "N" in v and int(v["N"])}


def call(n: int, **fields: Any) -> dict[str, Any]:
    return ctr(f"a1b2c3d4-0000-4000-8000-{n:012d}", **fields)


SELF_SERVED = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
QUEUE = {"Name": "general", "EnqueueTimestamp": "2025-03-04T14:16:10Z", "Duration": 15}
AGENT = {
    "ConnectedToAgentTimestamp": "2025-03-04T14:16:25Z",
    "AgentInteractionDuration": 145,
    "CustomerHoldDuration": 20,
    "AfterContactWorkDuration": 35,
}
AGENT_ATTRIBUTES = {
    "tandemOutcome": "QUEUED",
    "route": "AGENT",
    "intent": "COMPLAINT",
    "reasons": "VIP_CUSTOMER",
}


def day_of_calls() -> list[dict[str, Any]]:
    return [
        call(1, attributes=SELF_SERVED),
        call(2, attributes=SELF_SERVED | {"csat": "5"}),
        call(3, queue=QUEUE, agent=AGENT, attributes=AGENT_ATTRIBUTES | {"csat": "4"}),
        call(4, queue=QUEUE | {"Duration": 300}, attributes=AGENT_ATTRIBUTES),  # hung up waiting
    ]


EXPECTED_ALL = {
    "contacts": 4,
    "contained": 2,
    "transferred": 1,
    "abandoned": 1,
    "handled": 1,
    "handleSeconds": 200,
    "queued": 2,
    "queueWaitSeconds": 315,
    "answeredInThreshold": 1,
    "csatCount": 2,
    "csatSum": 9,
    "resolved": 2,  # the contained calls: no call recontacts another (all four start together)
}


def test_a_batch_becomes_per_day_counters_by_dimension(box: Sandbox) -> None:
    answer = box.invoke("ctr_ingest", kinesis_event(*day_of_calls()))
    assert answer == {"batchItemFailures": []}
    assert counters(box) == EXPECTED_ALL
    assert counters(box, "route", "SELF_SERVICE") == {
        "contacts": 2,
        "contained": 2,
        "resolved": 2,
        "csatCount": 1,
        "csatSum": 5,
    }
    assert counters(box, "reason", "VIP_CUSTOMER")["contacts"] == 2
    assert any("CallsCounted" in json.dumps(m) for m in box.last.metrics)


def test_the_same_batch_again_and_shuffled_with_duplicates_changes_nothing(box: Sandbox) -> None:
    records = day_of_calls()
    box.invoke("ctr_ingest", kinesis_event(*records))
    again = records + records[:2]
    random.Random(4).shuffle(again)
    assert box.invoke("ctr_ingest", kinesis_event(*again)) == {"batchItemFailures": []}
    assert counters(box) == EXPECTED_ALL


def test_a_post_call_update_replaces_the_calls_contribution(box: Sandbox) -> None:
    box.invoke("ctr_ingest", kinesis_event(call(1, attributes=SELF_SERVED)))
    # The survey's rating arrives in a newer version of the same record
    newer = call(1, attributes=SELF_SERVED | {"csat": "3"}, updated="2025-03-04T14:27:00Z")
    box.invoke("ctr_ingest", kinesis_event(newer))
    assert counters(box) == {"contacts": 1, "contained": 1, "resolved": 1, "csatCount": 1, "csatSum": 3}


def test_a_malformed_record_is_refused_without_blocking_the_batch(box: Sandbox) -> None:
    answer = box.invoke("ctr_ingest", kinesis_event(b"not json", call(1, attributes=SELF_SERVED), {"x": 1}))
    # Then it is not reported for retry (it would fail forever), the good record is counted
    assert answer == {"batchItemFailures": []}
    assert counters(box) == {"contacts": 1, "contained": 1, "resolved": 1}
    warned = [line for line in box.last.log_lines if line.get("message") == "contact record refused"]
    assert [(line["reason"], line["field"]) for line in warned] == [
        ("NOT_JSON", "record"),
        ("CONTACT_ID_MISSING", "ContactId"),
    ]
    assert "+1202" not in json.dumps(box.last.log_lines)  # no phone number in any log line


def test_a_failed_write_reports_its_records_and_the_retry_counts_once(box: Sandbox) -> None:
    event = kinesis_event(b"{}", *day_of_calls())  # one record that cannot be counted, four that can
    box.invoke("ctr_ingest", kinesis_event(b"{}"))  # the refused one was delivered (and kept) before
    throttled = Fault("dynamodb", "TransactWriteItems", error_code="ThrottlingException", status=400)
    with box.fault(throttled):
        failed = box.invoke("ctr_ingest", event)
    # Then the four are reported for retry (partial batch response), the refused one is not: it is
    # refused again and already kept, so it needs no write
    reported = {f["itemIdentifier"] for f in failed["batchItemFailures"]}
    assert reported == {r["kinesis"]["sequenceNumber"] for r in event["Records"][1:]}
    assert counters(box) == {}
    # Kinesis delivers them again (from the first failed sequence number)
    assert box.invoke("ctr_ingest", kinesis_event(*day_of_calls())) == {"batchItemFailures": []}
    assert counters(box) == EXPECTED_ALL


def test_a_batch_that_fails_entirely_fails_the_invocation_so_lambda_retries_and_bisects(box: Sandbox) -> None:
    throttled = Fault("dynamodb", "TransactWriteItems", error_code="ThrottlingException", status=400)
    with box.fault(throttled), pytest.raises(BatchProcessingError):
        box.invoke("ctr_ingest", kinesis_event(*day_of_calls()))
    assert counters(box) == {}


# --- any delivery, the same KPIs ---------------------------------------------------------------------

VERSIONED = [
    call(1, attributes=SELF_SERVED),
    call(1, attributes=SELF_SERVED | {"csat": "4"}, updated="2025-03-04T14:28:00Z"),  # post-call rating
    call(2, queue=QUEUE, agent=AGENT, attributes=AGENT_ATTRIBUTES),
    call(3, queue=QUEUE | {"Duration": 300}, attributes=AGENT_ATTRIBUTES),
    # call 4 is transferred: a second segment, where the agent answers
    call(4, queue=QUEUE, attributes=AGENT_ATTRIBUTES),
    ctr(
        "a1b2c3d4-0000-4000-8000-000000000044",
        initial="a1b2c3d4-0000-4000-8000-000000000004",
        previous="a1b2c3d4-0000-4000-8000-000000000004",
        method="TRANSFER",
        start="2025-03-04T14:20:00Z",
        queue=QUEUE,
        agent=AGENT,
        attributes=AGENT_ATTRIBUTES | {"csat": "2"},
    ),
    call(5, attributes={"tandemOutcome": "CALLBACK", "route": "AGENT"}),
]


def report_of(box: Sandbox) -> dict[str, Any]:
    from datetime import date

    from tandem.kpi_report import build_report

    built = build_report(
        box.client("dynamodb"), box.table_names["METRICS_TABLE"], date(2025, 3, 4), date(2025, 3, 4), "route"
    )
    return {"overall": built.overall, "rows": built.rows}


@functools.cache
def in_order_report() -> dict[str, Any]:
    """The report of VERSIONED delivered once, in order, in one batch: the same for every example,
    so it is ingested once per test session rather than once per example."""
    with sandbox(attach=False) as reference:
        reference.invoke("ctr_ingest", kinesis_event(*VERSIONED))
        return report_of(reference)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.permutations(range(len(VERSIONED))),
    duplicates=st.lists(st.integers(0, len(VERSIONED) - 1), max_size=6),
    cut=st.integers(0, len(VERSIONED) + 6),
)
def test_any_order_duplicates_and_batching_give_the_same_kpis(
    order: list[int], duplicates: list[int], cut: int
) -> None:
    expected = in_order_report()
    delivered = [VERSIONED[i] for i in order] + [VERSIONED[i] for i in duplicates]
    with sandbox(attach=False) as box:
        for part in (delivered[:cut], delivered[cut:]):
            if part:
                assert box.invoke("ctr_ingest", kinesis_event(*part)) == {"batchItemFailures": []}
        assert report_of(box) == expected
    # A real report, not two empty ones: five calls, one of each kind, and two ratings
    counts = expected["overall"].counts
    assert (counts["contacts"], counts["contained"], counts["transferred"]) == (5, 1, 2)
    assert (counts["abandoned"], counts["callbacks"], counts["csatCount"], counts["csatSum"]) == (1, 1, 2, 6)
