"""The refused contact records of a date range, read from the Metrics table's `REFUSED#<day>` items.

ctr_ingest lists every record it refuses (lambdas/ctr_ingest/refusals.py): the reason code, the
field, a hash of the contact id, the arrival time and the Kinesis record id, kept for
`REFUSED_TTL_DAYS`. One Query per day of the range (the day the record reached the stream, in the
centre's time zone); the items hold no value from the record, so nothing here is personal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from lambdas.ctr_ingest.aggregates import REFUSED_PREFIX
from lambdas.shared.counters import PK
from tandem.kpi_report import check_range


@dataclass(frozen=True)
class RefusedRecord:
    arrived_at: str  # UTC ISO, from Kinesis's approximate arrival time
    reason: str  # a lambdas.ctr_ingest.contact_record.Refusal code
    field: str  # the field at fault ("record": the data as a whole)
    contact_hash: str  # sha256 of the ContactId, shortened; UNREADABLE when the id was malformed
    record_id: str  # the Kinesis record: shard and sequence number
    raw: str  # QUEUED: the raw record is in the refused-records queue; TOO_LARGE: only in the stream

    def to_dict(self) -> dict[str, str]:
        return {_camel(name): value for name, value in asdict(self).items()}


def list_refused(dynamodb_client: Any, table: str, start: date, end: date) -> list[RefusedRecord]:
    """Every refused record listed from `start` to `end` inclusive, in arrival order."""
    check_range(start, end)
    found: list[RefusedRecord] = []
    day = start
    while day <= end:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PK},
            "ExpressionAttributeValues": {":pk": {"S": f"{REFUSED_PREFIX}{day.isoformat()}"}},
        }
        while True:
            page = dynamodb_client.query(**request)
            found += [_record(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        day += timedelta(days=1)
    return found


def by_reason(records: list[RefusedRecord]) -> dict[str, int]:
    """Records per reason code, most first (ties by code)."""
    counts = Counter(record.reason for record in records)
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def _record(item: dict[str, Any]) -> RefusedRecord:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return RefusedRecord(
        arrived_at=text("arrivedAt"),
        reason=text("reason"),
        field=text("field"),
        contact_hash=text("contactHash"),
        record_id=text("recordId"),
        raw=text("raw"),
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
