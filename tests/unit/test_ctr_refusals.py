"""What a refused record's queue message holds, and how messages are batched within SQS's limits."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

from lambdas.ctr_ingest.contact_record import Refusal
from lambdas.ctr_ingest.refusals import (
    MAX_MESSAGE_BYTES,
    MAX_SEND_ENTRIES,
    UNREADABLE_ID,
    Refused,
    _message,
    _message_batches,
    contact_hash,
)

ARRIVED = datetime(2025, 3, 4, 14, 15, 0, 250000, tzinfo=UTC)


def refused(data: bytes, n: int = 1) -> Refused:
    return Refused(
        record_id=f"shardId-000000000000:{n:030d}",
        sequence_number=f"{n:030d}",
        arrived=ARRIVED,
        reason=Refusal.AGENT_NOT_OBJECT,
        field="Agent",
        contact_hash=contact_hash("11111111-2222-3333-4444-555555555555"),
        data=data,
    )


def test_the_contact_hash_is_a_shortened_sha256_or_a_marker() -> None:
    contact = "11111111-2222-3333-4444-555555555555"
    assert contact_hash(contact) == hashlib.sha256(contact.encode()).hexdigest()[:24]
    assert contact_hash(None) == UNREADABLE_ID


def test_a_message_carries_the_text_record_and_the_listing_key() -> None:
    data = '{"Agent": "Rachel", "note": "caf\u00e9 \ufffe"}'.encode()
    body, with_data = _message(refused(data))
    assert with_data
    assert body.isascii()  # SQS refuses some characters valid UTF-8 can hold; escaped, they pass
    message = json.loads(body)
    assert message["data"].encode() == data
    assert (message["reason"], message["field"], message["encoding"]) == (
        "AGENT_NOT_OBJECT",
        "Agent",
        "utf-8",
    )
    assert message["arrivedAt"] == "2025-03-04T14:15:00.250Z"
    assert message["recordId"] == "shardId-000000000000:" + "0" * 29 + "1"


def test_bytes_that_are_not_text_travel_as_base64() -> None:
    data = b"\xff\xfe\x00garbage"
    message = json.loads(_message(refused(data))[0])
    assert message["encoding"] == "base64"
    assert base64.b64decode(message["data"]) == data


def test_a_record_beyond_the_message_limit_travels_without_its_data() -> None:
    data = b"x" * (MAX_MESSAGE_BYTES + 1)
    body, with_data = _message(refused(data))
    assert not with_data
    assert json.loads(body)["dataOmitted"] == "TOO_LARGE"
    assert len(body) < 1000


def test_batches_hold_ten_messages_and_stay_within_the_byte_limit() -> None:
    small = [(refused(b"{}", n), "s" * 10, True) for n in range(23)]
    assert [len(batch) for batch in _message_batches(small)] == [MAX_SEND_ENTRIES, MAX_SEND_ENTRIES, 3]
    big = [(refused(b"{}", n), "b" * 400_000, True) for n in range(5)]
    batches = list(_message_batches(big))
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert all(sum(len(body) for _, body, _ in batch) <= MAX_MESSAGE_BYTES for batch in batches)
