"""ctr_ingest on moto: records that would mis-count a call are refused, kept once, and change no KPI.

A refused record is logged by code and field (never a value), counted in `RecordsRefused` by
reason, listed under `REFUSED#<day>` in the Metrics table (`tandem refused`), and its raw data sent
to the refused-records queue; all of it exactly once, whatever the redelivery, and a failure to
keep it reports the record for retry rather than losing it.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
from datetime import date
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from lambdas.ctr_ingest.config import REFUSED_QUEUE_VAR
from tandem.cli import main
from tandem.local import Sandbox
from tandem.local.faults import Fault
from tandem.refused import list_refused
from tests.integration.test_ctr_ingest_handler import (
    AGENT,
    AGENT_ATTRIBUTES,
    DAY,
    EXPECTED_ALL,
    QUEUE,
    SELF_SERVED,
    call,
    counters,
    day_of_calls,
    kinesis_event,
)

PHONE_AS_ID = "+12025550101"
# Each would have counted as a call before: the first as abandoned (queued, "no agent").
REFUSED = {
    "AGENT_NOT_OBJECT": call(11, queue=QUEUE, attributes=AGENT_ATTRIBUTES) | {"Agent": "Rachel"},
    "CONTACT_ID_INVALID": call(12, attributes=SELF_SERVED) | {"ContactId": PHONE_AS_ID},
    "DURATION_NEGATIVE": call(13, queue=QUEUE, agent=AGENT | {"CustomerHoldDuration": -20}),
    "QUEUE_NOT_OBJECT": call(14, attributes=AGENT_ATTRIBUTES) | {"Queue": "general"},
    "DURATION_NOT_NUMBER": call(15, queue=QUEUE | {"Duration": "15"}, attributes=AGENT_ATTRIBUTES),
    "DISCONNECT_BEFORE_INITIATION": call(16, attributes=SELF_SERVED)
    | {"DisconnectTimestamp": "2025-03-04T14:00:00Z"},
}
FIELDS = {
    "AGENT_NOT_OBJECT": "Agent",
    "CONTACT_ID_INVALID": "ContactId",
    "DURATION_NEGATIVE": "Agent.CustomerHoldDuration",
    "QUEUE_NOT_OBJECT": "Queue",
    "DURATION_NOT_NUMBER": "Queue.Duration",
    "DISCONNECT_BEFORE_INITIATION": "DisconnectTimestamp",
}
VALUES = (PHONE_AS_ID, "12025550101", "Rachel", "+12025550143")  # never in a log, metric or listing
NOT_RETRIED = {"error_code": "AccessDenied", "status": 403}  # fails at once: no SDK retries to wait out


def mixed_batch() -> dict[str, Any]:
    """The four good calls of the handler tests and the six refused records, interleaved."""
    good, bad = day_of_calls(), list(REFUSED.values())
    records = [record for pair in zip(good + [None] * 2, bad, strict=True) for record in pair if record]
    return kinesis_event(*records)


def refused_sequences(event: dict[str, Any]) -> set[str]:
    """The sequence numbers of the event's refused records."""
    return {
        item["kinesis"]["sequenceNumber"]
        for item in event["Records"]
        if json.loads(base64.b64decode(item["kinesis"]["data"])) in REFUSED.values()
    }


def emf_value(document: dict[str, Any], name: str) -> int:
    """A metric's value in an EMF document: a number, or a list of them (Powertools' form)."""
    value = document.get(name, 0)
    return int(sum(value)) if isinstance(value, list) else int(value)


def refused_by_reason(box: Sandbox) -> dict[str, int]:
    """`RecordsRefused` of the last invocation, by its `reason` dimension."""
    found: dict[str, int] = {}
    for document in box.last.metrics:
        if "RecordsRefused" in document and "reason" in document:
            found[document["reason"]] = found.get(document["reason"], 0) + emf_value(
                document, "RecordsRefused"
            )
    return found


def refused_total(box: Sandbox) -> int:
    """The total `RecordsRefused` (service dimension only, what an alarm can watch)."""
    return sum(emf_value(d, "RecordsRefused") for d in box.last.metrics if "reason" not in d)


def listed(box: Sandbox) -> list[dict[str, str]]:
    records = list_refused(
        box.client("dynamodb"), box.table_names["METRICS_TABLE"], date(2025, 3, 4), date(2025, 3, 4)
    )
    return [record.to_dict() for record in records]


def queued(box: Sandbox) -> list[dict[str, Any]]:
    """Every message in the refused-records queue (received and left invisible: a test reads once)."""
    sqs, url = box.client("sqs"), box.queue_urls[REFUSED_QUEUE_VAR]
    messages: list[dict[str, Any]] = []
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        if not page.get("Messages"):
            return messages
        messages += [json.loads(m["Body"]) for m in page["Messages"]]


def sha(contact_id: str) -> str:
    return hashlib.sha256(contact_id.encode()).hexdigest()[:24]


# --- refused, not counted -----------------------------------------------------------------------------


def test_refused_records_change_no_kpi_and_are_counted_by_reason(box: Sandbox) -> None:
    # Given four good calls and six records that cannot be counted, in one batch
    answer = box.invoke("ctr_ingest", mixed_batch())
    # Then nothing is retried, and the counters are the four calls' alone
    assert answer == {"batchItemFailures": []}
    assert counters(box) == EXPECTED_ALL
    # And no refused record left a call state behind (it is no call at all)
    dynamodb, table = box.client("dynamodb"), box.table_names["METRICS_TABLE"]
    for n in range(11, 17):
        key = {"pk": {"S": f"CALL#a1b2c3d4-0000-4000-8000-{n:012d}"}, "sk": {"S": "STATE"}}
        assert "Item" not in dynamodb.get_item(TableName=table, Key=key)
    # And RecordsRefused counts each once, by reason, and in total
    assert refused_by_reason(box) == dict.fromkeys(REFUSED, 1)
    assert refused_total(box) == len(REFUSED)
    # And each is logged by code and field only
    lines = [line for line in box.last.log_lines if line.get("message") == "contact record refused"]
    assert sorted((line["reason"], line["field"]) for line in lines) == sorted(FIELDS.items())


def test_logs_and_metrics_hold_no_value_from_a_refused_record(box: Sandbox) -> None:
    box.invoke("ctr_ingest", mixed_batch())
    seen = json.dumps([box.last.log_lines, box.last.metrics], ensure_ascii=False)
    for value in VALUES:
        assert value not in seen, value
    assert "contact record refused" in seen  # the lines are there, just without values


def test_each_refused_record_is_listed_with_reason_field_hash_and_arrival(box: Sandbox) -> None:
    box.invoke("ctr_ingest", mixed_batch())
    rows = listed(box)
    assert sorted((row["reason"], row["field"]) for row in rows) == sorted(FIELDS.items())
    hashes = {row["reason"]: row["contactHash"] for row in rows}
    assert hashes["CONTACT_ID_INVALID"] == "UNREADABLE"  # a phone number is never hashed (reversible)
    assert hashes["AGENT_NOT_OBJECT"] == sha("a1b2c3d4-0000-4000-8000-000000000011")
    assert {row["arrivedAt"] for row in rows} == {"2025-03-04T14:15:00.000Z"}  # the event's arrival time
    assert {row["raw"] for row in rows} == {"QUEUED"}
    assert len({row["recordId"] for row in rows}) == len(REFUSED)
    # And the table holds none of the records' values; the items expire 30 days after arrival
    items = box.client("dynamodb").scan(TableName=box.table_names["METRICS_TABLE"])["Items"]
    refused_items = [item for item in items if item["pk"]["S"] == f"REFUSED#{DAY}"]
    assert len(refused_items) == len(REFUSED)
    assert {int(item["expiresAt"]["N"]) for item in refused_items} == {1741097700 + 30 * 86400}
    stored = json.dumps(items, ensure_ascii=False)
    for value in VALUES:
        assert value not in stored, value


def test_the_raw_record_goes_to_the_refused_queue_only(box: Sandbox) -> None:
    box.invoke("ctr_ingest", mixed_batch())
    messages = queued(box)
    assert sorted(m["reason"] for m in messages) == sorted(REFUSED)
    for message in messages:
        # The message carries the record as it arrived, and the listing's record id and hash
        assert message["encoding"] == "utf-8"
        assert json.loads(message["data"]) == REFUSED[message["reason"]]
        assert message["field"] == FIELDS[message["reason"]]
    assert {m["recordId"] for m in messages} == {row["recordId"] for row in listed(box)}
    # And the queue is the only place: the good calls are not in it
    assert len(messages) == len(REFUSED)


def test_a_superseded_version_is_not_refused(box: Sandbox) -> None:
    newer = call(1, attributes=SELF_SERVED | {"csat": "4"}, updated="2025-03-04T14:28:00Z")
    box.invoke("ctr_ingest", kinesis_event(newer))
    # Given the older version of the same contact after the newer one
    assert box.invoke("ctr_ingest", kinesis_event(call(1, attributes=SELF_SERVED))) == {
        "batchItemFailures": []
    }
    # Then it changes nothing and is superseded, not refused
    assert counters(box) == {"contacts": 1, "contained": 1, "resolved": 1, "csatCount": 1, "csatSum": 4}
    assert refused_total(box) == 0
    assert refused_by_reason(box) == {}
    assert sum(emf_value(d, "DuplicateOrStaleCalls") for d in box.last.metrics) == 1
    assert listed(box) == []


# --- once, whatever the redelivery --------------------------------------------------------------------


def test_a_redelivered_batch_lists_and_counts_each_refusal_once(box: Sandbox) -> None:
    event = mixed_batch()
    box.invoke("ctr_ingest", event)
    assert box.invoke("ctr_ingest", copy.deepcopy(event)) == {"batchItemFailures": []}
    # Then the second delivery refused them again but kept nothing new
    assert refused_total(box) == 0
    assert refused_by_reason(box) == {}
    assert len(listed(box)) == len(REFUSED)
    assert len(queued(box)) == len(REFUSED)
    assert counters(box) == EXPECTED_ALL


def test_a_failed_send_reports_the_record_and_its_redelivery_keeps_it_once(box: Sandbox) -> None:
    event = mixed_batch()
    # Given the refused-records queue refusing every send
    with box.fault(Fault("sqs", "SendMessageBatch", **NOT_RETRIED)):
        answer = box.invoke("ctr_ingest", event)
    # Then exactly the refused records are reported for retry; nothing is listed or counted for them
    reported = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    assert reported == refused_sequences(event)
    assert listed(box) == []
    assert refused_total(box) == 0
    assert counters(box) == EXPECTED_ALL  # the good calls did count
    # When Kinesis delivers the batch again
    assert box.invoke("ctr_ingest", copy.deepcopy(event)) == {"batchItemFailures": []}
    # Then each refused record is queued, listed and counted once; the good calls not twice
    assert len(queued(box)) == len(REFUSED)
    assert len(listed(box)) == len(REFUSED)
    assert refused_by_reason(box) == dict.fromkeys(REFUSED, 1)
    assert counters(box) == EXPECTED_ALL


def test_a_failed_listing_reports_the_record_and_its_redelivery_lists_it_once(box: Sandbox) -> None:
    # Given DynamoDB's transactions failing: the counters' and the listing's alike. Every record of
    # the batch failed, so the invocation fails (Lambda retries the batch, bisecting it)
    event = mixed_batch()
    with (
        box.fault(Fault("dynamodb", "TransactWriteItems", **NOT_RETRIED)),
        pytest.raises(BatchProcessingError),
    ):
        box.invoke("ctr_ingest", event)
    assert listed(box) == []
    assert counters(box) == {}
    # When it is delivered again: every call counted once, every refusal listed and counted once
    assert box.invoke("ctr_ingest", copy.deepcopy(event)) == {"batchItemFailures": []}
    assert counters(box) == EXPECTED_ALL
    assert len(listed(box)) == len(REFUSED)
    assert refused_by_reason(box) == dict.fromkeys(REFUSED, 1)
    # The raw records reached the queue on both deliveries (sent, then not listed): each copy names
    # its record id, so the listing still shows each record once
    messages = queued(box)
    assert len(messages) == 2 * len(REFUSED)
    assert len({m["recordId"] for m in messages}) == len(REFUSED)


def test_a_failed_listing_alone_reports_only_the_refused_records(box: Sandbox) -> None:
    # Given the good calls counted already, and the listing's transaction failing on redelivery
    event = mixed_batch()
    good = kinesis_event(*day_of_calls())
    box.invoke("ctr_ingest", good)
    with box.fault(Fault("dynamodb", "TransactWriteItems", **NOT_RETRIED)):
        answer = box.invoke("ctr_ingest", event)
    # Then only the refused records are reported (the calls had nothing new to write)
    assert {f["itemIdentifier"] for f in answer["batchItemFailures"]} == refused_sequences(event)
    assert listed(box) == []
    assert box.invoke("ctr_ingest", copy.deepcopy(event)) == {"batchItemFailures": []}
    assert len(listed(box)) == len(REFUSED)
    assert counters(box) == EXPECTED_ALL


def test_an_unreadable_listing_reports_the_refused_records_for_retry(box: Sandbox) -> None:
    # Given only refused records and DynamoDB's BatchGetItem failing: nothing can be known, nothing is
    # kept, and a batch whose every record failed fails the invocation (Lambda retries, bisects)
    with box.fault(Fault("dynamodb", "BatchGetItem", **NOT_RETRIED)), pytest.raises(BatchProcessingError):
        box.invoke("ctr_ingest", kinesis_event(*REFUSED.values()))
    assert len(queued(box)) == 0
    assert box.invoke("ctr_ingest", kinesis_event(*REFUSED.values())) == {"batchItemFailures": []}
    assert len(listed(box)) == len(REFUSED)


def test_a_record_too_large_for_a_message_is_listed_and_left_in_the_stream(box: Sandbox) -> None:
    huge = REFUSED["AGENT_NOT_OBJECT"] | {"Attributes": {"notes": "x" * 1_100_000}}
    assert box.invoke("ctr_ingest", kinesis_event(huge)) == {"batchItemFailures": []}
    [row] = listed(box)
    assert (row["reason"], row["raw"]) == ("AGENT_NOT_OBJECT", "TOO_LARGE")
    [message] = queued(box)
    assert "data" not in message
    assert message["dataOmitted"] == "TOO_LARGE"
    assert message["recordId"] == row["recordId"]


# --- tandem refused -------------------------------------------------------------------------------------


@pytest.fixture
def cli(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """`tandem refused` reading this test's sandbox (as it reads a running `tandem sandbox up`)."""
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    return box


def test_the_command_lists_each_refused_record_once_even_after_redelivery(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    event = mixed_batch()
    cli.invoke("ctr_ingest", event)
    cli.invoke("ctr_ingest", copy.deepcopy(event))
    capsys.readouterr()
    assert main(["refused", "--from", DAY, "--to", DAY, "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["count"] == len(REFUSED)
    assert listing["byReason"] == dict.fromkeys(sorted(REFUSED), 1)
    assert sorted((r["reason"], r["field"]) for r in listing["records"]) == sorted(FIELDS.items())
    # The table and CSV show the same records, and no value from them
    assert main(["refused", "--from", DAY, "--to", DAY]) == 0
    text = capsys.readouterr().out
    assert all(reason in text for reason in REFUSED)
    assert main(["refused", "--from", DAY, "--to", DAY, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "arrivedAt,reason,field,contactHash,recordId,raw"
    assert len(rows) == 1 + len(REFUSED)
    for value in VALUES:
        assert value not in text + "\n".join(rows)


def test_the_command_on_a_day_without_refusals_says_so(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.invoke("ctr_ingest", mixed_batch())
    assert main(["refused", "--from", "2025-03-05", "--to", "2025-03-06", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert (listing["count"], listing["records"]) == (0, [])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2025-03-05", "--to", "2025-03-04"], "starts after it ends"),
        (["--from", "03/04/2025", "--to", "2025-03-04"], "expected a date YYYY-MM-DD"),
        (["--from", DAY, "--to", DAY, "--table", "x"], "--table: only with --target aws"),
        (["--from", DAY, "--to", DAY, "--target", "aws"], "--target aws needs --table"),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_TABLE", raising=False)
    assert main(["refused", *argv]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1
