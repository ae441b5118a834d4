"""Contact records as the CTR stream delivers them to ctr_ingest, and what ctr_ingest said of a batch.

One way to hand the real ctr_ingest handler a Kinesis event in the sandbox (the demo and `tandem
ingest` both do), and one way to read its answer back: the per-batch summary line and the refusal
lines it logs, which the sandbox captures (`Invocation.log_lines`). The handler's response to
Kinesis stays what it is (the batch item failures); nothing here changes it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from tandem.local.provision import DEFAULT_REGION, FAKE_ACCOUNT

KINESIS_BATCH = 100  # records per event: the deployed event source mapping's batch size
SUMMARY_LINE = "contact records ingested"  # ctr_ingest's log line per batch
REFUSED_LINE = "contact record refused"  # ctr_ingest's log line per refused record
STREAM_ARN = f"arn:aws:kinesis:{DEFAULT_REGION}:{FAKE_ACCOUNT}:stream/tandem-ctr"


def sequence_number(index: int) -> str:
    """The stream's `index`-th sequence number: digits, in order, as Kinesis's are."""
    return f"4960{index:020d}"


def stream_record(data: bytes, index: int, *, arrival: float, partition_key: str) -> dict[str, Any]:
    """One Kinesis event record carrying `data`, the stream's `index`-th, arrived at `arrival` (epoch s)."""
    sequence = sequence_number(index)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "awsRegion": DEFAULT_REGION,
        "eventSourceARN": STREAM_ARN,
    }


@dataclass(frozen=True)
class BatchOutcome:
    """What ctr_ingest did with one event: calls counted (their counters changed), calls unchanged
    (duplicates and older versions), the refused records' (sequence number, reason, field), and the
    sequence numbers it reported for retry."""

    calls_counted: int
    calls_unchanged: int
    refused: tuple[tuple[str, str, str], ...]
    failed: frozenset[str]


def batch_outcome(response: dict[str, Any], log_lines: list[dict[str, Any]]) -> BatchOutcome:
    """Read one ctr_ingest invocation: its response and the log lines the sandbox captured."""
    summary = next((line for line in log_lines if line.get("message") == SUMMARY_LINE), None)
    if summary is None:
        raise RuntimeError(f"ctr_ingest logged no {SUMMARY_LINE!r} line for the batch")
    refused = tuple(
        (str(line.get("sequence_number", "")), str(line.get("reason", "")), str(line.get("field", "")))
        for line in log_lines
        if line.get("message") == REFUSED_LINE
    )
    failed = frozenset(str(item["itemIdentifier"]) for item in response.get("batchItemFailures", []))
    return BatchOutcome(
        int(summary.get("calls_counted", 0)), int(summary.get("calls_unchanged", 0)), refused, failed
    )
