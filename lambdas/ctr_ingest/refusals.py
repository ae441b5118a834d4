"""Refused contact records: listed in the Metrics table, the raw record kept in an encrypted queue.

A refused record changes no counter. What an operator needs to find it again is listed under
`REFUSED#<day>` (layout in `aggregates`): the reason, the field, a hash of the contact id and the
arrival time, never a value from the record. The raw record, which holds the caller's number, goes
only to the refused-records SQS queue (encrypted, 14 days' retention), with the same reason.

Each refused record is kept exactly once, whatever the redelivery:

1. the batch's refused records already listed are done (a listed record's raw copy reached the
   queue before it was listed); which they are is read with the call states, in the counter
   store's BatchGetItem (`keys` gives it the keys), so a batch still reads once;
2. the others are sent to the queue (SendMessageBatch, up to 10 a call);
3. those sent are listed: one TransactWriteItems of plain Puts per 100 (all or nothing, and each Put
   is authorised as the dynamodb:PutItem the counters already need, where BatchWriteItem would also
   allow deletes), keyed by arrival time and Kinesis record id, so a retry overwrites its own item.

A record whose send or listing failed is reported as failed, so Kinesis delivers it again; a send
that worked before a failed listing is sent again then (the queue holds it twice, each copy naming
its record id; the listing and the `RecordsRefused` count still see it once). Nothing of this runs
for a batch without refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as member
from datetime import datetime, timedelta, tzinfo
from typing import Any

from lambdas.ctr_ingest.aggregates import REFUSED_TTL_DAYS, iso_utc, refused_key
from lambdas.ctr_ingest.contact_record import Refusal
from lambdas.shared.counters import PK, SK
from lambdas.shared.tables import METRICS

UNREADABLE_ID = "UNREADABLE"  # the contact hash when the record has no well-formed ContactId
HASH_CHARS = 24  # of sha256's 64 hex digits: unique enough to match a record in the queue
MAX_TRANSACTION_ITEMS = 100
MAX_SEND_ENTRIES = 10  # SendMessageBatch's limit
# SQS takes 1 MiB per message and per batch (the queue is created with that maximum); a margin is
# left for the envelope's own escaping.
MAX_MESSAGE_BYTES = 1_000_000
TTL_ATTRIBUTE = METRICS.ttl_attribute or "expiresAt"


def contact_hash(contact_id: str | None) -> str:
    """sha256 of the contact id, shortened; a fixed marker when the id itself is malformed (it
    could be anything, a phone number included, and a plain hash of a number is reversible)."""
    if contact_id is None:
        return UNREADABLE_ID
    return hashlib.sha256(contact_id.encode("utf-8")).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class Refused:
    """One refused Kinesis record: where it came from, why, and its data (held, never logged)."""

    record_id: str  # the Kinesis event id, shard and sequence number: unique in the stream
    sequence_number: str  # the batch item id a partial batch response names
    arrived: datetime  # aware: Kinesis's approximate arrival time
    reason: Refusal
    field: str
    contact_hash: str
    data: bytes = member(repr=False)  # the raw record: never in a repr, a log or the table


@dataclass
class KeepResult:
    listed: Counter[str] = member(default_factory=Counter)  # reason → records listed for the first time
    already_listed: int = 0  # redelivered: listed (and queued) before
    failed_items: set[str] = member(default_factory=set)  # sequence numbers to report as failures
    raw_omitted: int = 0  # too large for a queue message: listed, the data left in the stream
    dynamodb_calls: int = 0
    sqs_calls: int = 0


class RefusalStore:
    def __init__(self, dynamodb: Any, sqs: Any, table: str, queue_url: str, zone: tzinfo) -> None:
        self.dynamodb, self.sqs, self.table, self.queue_url, self.zone = dynamodb, sqs, table, queue_url, zone

    def keys(self, refused: Sequence[Refused]) -> list[dict[str, dict[str, str]]]:
        """The listing keys of `refused`, once each: what to read before `keep`."""
        return [self.key(r) for r in _unique(refused)]

    def keep(self, refused: Sequence[Refused], listed: set[tuple[str, str]] | None) -> KeepResult:
        """Queue and list what is not `listed` yet ((pk, sk) read from `keys`; None: unreadable)."""
        result = KeepResult()
        if listed is None:  # unknown: the records are delivered again, nothing is assumed
            result.failed_items.update(r.sequence_number for r in refused)
            return result
        fresh = [r for r in _unique(refused) if _identity(self.key(r)) not in listed]
        result.already_listed = len(_unique(refused)) - len(fresh)
        sent = self._send(fresh, result)
        self._list(sent, result)
        return result

    def key(self, record: Refused) -> dict[str, dict[str, str]]:
        day = record.arrived.astimezone(self.zone).date().isoformat()
        return {
            name: {"S": value} for name, value in refused_key(day, record.arrived, record.record_id).items()
        }

    # -- 2. the raw records to the queue

    def _send(self, records: list[Refused], result: KeepResult) -> list[tuple[Refused, bool]]:
        """Send each record's message; (record, whether its data went along) for those sent."""
        sent: list[tuple[Refused, bool]] = []
        for batch in _message_batches((record, *_message(record)) for record in records):
            entries = [{"Id": str(i), "MessageBody": body} for i, (_, body, _) in enumerate(batch)]
            try:
                answer = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                failed = {entry["Id"] for entry in answer.get("Failed", [])}
            except Exception:  # throttled, unreachable: the whole batch is delivered again
                failed = {entry["Id"] for entry in entries}
            result.sqs_calls += 1
            for i, (record, _, with_data) in enumerate(batch):
                if str(i) in failed:
                    result.failed_items.add(record.sequence_number)
                else:
                    sent.append((record, with_data))
                    result.raw_omitted += not with_data
        return sent

    # -- 3. the listing

    def _list(self, sent: list[tuple[Refused, bool]], result: KeepResult) -> None:
        for start in range(0, len(sent), MAX_TRANSACTION_ITEMS):
            chunk = sent[start : start + MAX_TRANSACTION_ITEMS]
            puts = [{"Put": {"TableName": self.table, "Item": self._item(r, w)}} for r, w in chunk]
            result.dynamodb_calls += 1
            try:
                self.dynamodb.transact_write_items(TransactItems=puts)
            except Exception:  # nothing of the chunk was written: its records are delivered again
                result.failed_items.update(record.sequence_number for record, _ in chunk)
                continue
            for record, _ in chunk:
                result.listed[record.reason] += 1

    def _item(self, record: Refused, with_data: bool) -> dict[str, Any]:
        expires = record.arrived + timedelta(days=REFUSED_TTL_DAYS)
        return {
            **self.key(record),
            "type": {"S": "REFUSED"},
            "reason": {"S": str(record.reason)},
            "field": {"S": record.field},
            "contactHash": {"S": record.contact_hash},
            "arrivedAt": {"S": iso_utc(record.arrived)},
            "recordId": {"S": record.record_id},
            "raw": {"S": "QUEUED" if with_data else "TOO_LARGE"},
            TTL_ATTRIBUTE: {"N": str(int(expires.timestamp()))},
        }


def _unique(refused: Sequence[Refused]) -> list[Refused]:
    return list({r.record_id: r for r in refused}.values())


def _identity(item: dict[str, Any]) -> tuple[str, str]:
    return item[PK]["S"], item[SK]["S"]


def _message(record: Refused) -> tuple[str, bool]:
    """The queue message (ASCII JSON) and whether it carries the data (too large: the envelope only)."""
    envelope: dict[str, Any] = {
        "reason": str(record.reason),
        "field": record.field,
        "contactHash": record.contact_hash,
        "arrivedAt": iso_utc(record.arrived),
        "recordId": record.record_id,
        "sequenceNumber": record.sequence_number,
    }
    try:
        data: dict[str, Any] = {"encoding": "utf-8", "data": record.data.decode("utf-8")}
    except UnicodeDecodeError:
        data = {"encoding": "base64", "data": base64.b64encode(record.data).decode("ascii")}
    # ASCII only: SQS refuses some characters (U+FFFE, U+FFFF) that valid UTF-8 can hold.
    body = json.dumps(envelope | data, ensure_ascii=True)
    if len(body) <= MAX_MESSAGE_BYTES:
        return body, True
    return json.dumps(envelope | {"dataOmitted": "TOO_LARGE", "dataBytes": len(record.data)}), False


def _message_batches(
    messages: Iterable[tuple[Refused, str, bool]],
) -> Iterable[list[tuple[Refused, str, bool]]]:
    """Up to 10 messages a batch, their bodies within the batch's byte limit."""
    batch: list[tuple[Refused, str, bool]] = []
    size = 0
    for message in messages:
        body = message[1]
        if batch and (len(batch) == MAX_SEND_ENTRIES or size + len(body) > MAX_MESSAGE_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += len(body)
    if batch:
        yield batch
