"""ctr_ingest's partial batch response for records it cannot even read: Powertools' BatchProcessor
contract for Kinesis, which the handler keeps without importing the processor."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tandem.local import Sandbox
from tests.integration.test_ctr_ingest_handler import SELF_SERVED, call, counters, kinesis_event


def _not_base64(event: dict[str, Any], *indexes: int) -> dict[str, Any]:
    for index in indexes:
        event["Records"][index]["kinesis"]["data"] = "abc"  # incorrect padding: not base64
    return event


def test_a_record_whose_data_is_not_base64_is_reported_and_the_rest_counted(box: Sandbox) -> None:
    event = _not_base64(
        kinesis_event(call(1, attributes=SELF_SERVED), b"x", call(2, attributes=SELF_SERVED)), 1
    )
    answer = box.invoke("ctr_ingest", event)
    # Then Kinesis delivers that one again (by its sequence number); the two calls count once each
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][1]["kinesis"]["sequenceNumber"]}]
    }
    assert counters(box) == {"contacts": 2, "contained": 2, "resolved": 2}


def test_a_batch_of_unreadable_records_fails_the_invocation(box: Sandbox) -> None:
    with pytest.raises(BatchProcessingError, match=r"All records failed processing\. 2 individual errors"):
        box.invoke("ctr_ingest", _not_base64(kinesis_event(b"x", b"y"), 0, 1))
    assert counters(box) == {}
