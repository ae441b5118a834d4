"""Reading the Metrics table's per-day counters: the one home of the counter items' keys and of
the Query that reads a dimension over a date range.

Counters: pk `DIM#<dimension>`, sk `<YYYY-MM-DD>#<value>`, one item per (dimension, day, value),
with a number attribute per name in `lambdas.shared.kpi.COUNTERS` (ctr_ingest writes them:
lambdas/ctr_ingest/aggregates.py). A date range of one dimension is one Query (every page), never
the calls. `tandem report`, `tandem experiment status` and the experiment guard read through here.

An experiment's arms are the `variant` dimension's values `<experiment id>:<champion|challenger>`.
Pure but for the client passed in: no boto3 import, so the guard's cold start pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lambdas.shared.kpi import COUNTERS
from lambdas.shared.tables import METRICS

PK, SK = METRICS.partition_key.name, METRICS.sort_key.name  # type: ignore[union-attr]

Item = dict[str, Any]  # a DynamoDB item in the low-level client's format ({"N": "3"})

VARIANT = "variant"  # the dimension an experiment's arms are counted under
CHAMPION, CHALLENGER = "champion", "challenger"
ARMS = (CHAMPION, CHALLENGER)


def counter_key(dimension: str, day: str, value: str) -> dict[str, str]:
    return {PK: f"DIM#{dimension}", SK: f"{day}#{value}"}


def split_counter_sk(sk: str) -> tuple[str, str]:
    """`2026-11-23#ORDER_STATUS` → ("2026-11-23", "ORDER_STATUS")."""
    day, _, value = sk.partition("#")
    return day, value


def day_range(start: str, end: str) -> tuple[str, str]:
    """The sk bounds that select every value of every day from `start` to `end` (inclusive)."""
    return f"{start}#", f"{end}$"  # "$" sorts right after "#": every value of the last day


def arm_value(experiment_id: str, arm: str) -> str:
    """The `variant` dimension's value an experiment's arm is counted under."""
    return f"{experiment_id}:{arm}"


class CounterError(ValueError):
    """A counter item whose value is not a whole number; the message names the item."""


@dataclass
class Reads:
    """What reading the counters cost: requests (pages) per dimension and capacity, when reported."""

    requests_by_dimension: dict[str, int] = field(default_factory=dict)
    capacity_units: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.requests_by_dimension.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requestsByDimension": dict(self.requests_by_dimension),
            "capacityUnits": self.capacity_units,
        }


def read_counters(
    dynamodb_client: Any,
    table: str,
    dimension: str,
    start: date,
    end: date,
    *,
    reads: Reads | None = None,
    page_size: int | None = None,
) -> list[Item]:
    """Every counter item of `dimension` from `start` to `end` inclusive: one Query, every page.

    `reads` (when given) counts each request; `page_size` caps items per page (a DynamoDB `Limit`),
    which only tests and benchmarks need, to see paging without writing a megabyte of counters.
    """
    low, high = day_range(start.isoformat(), end.isoformat())
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
        "ExpressionAttributeValues": {
            ":pk": {"S": f"DIM#{dimension}"},
            ":low": {"S": low},
            ":high": {"S": high},
        },
        "ReturnConsumedCapacity": "TOTAL",
    }
    if page_size is not None:
        request["Limit"] = page_size
    items: list[Item] = []
    while True:
        page = dynamodb_client.query(**request)
        if reads is not None:
            reads.requests_by_dimension[dimension] = reads.requests_by_dimension.get(dimension, 0) + 1
            reads.capacity_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def counts_of(item: Item) -> dict[str, int]:
    """The counters of one item, as whole numbers (ingestion only ever adds whole numbers)."""
    counts: dict[str, int] = {}
    for name in COUNTERS:
        if name not in item:
            continue
        text = item[name].get("N")
        try:
            number = Decimal(text)
        except (InvalidOperation, TypeError):
            number = Decimal("NaN")
        # A fraction or a non-number would mean something other than ctr_ingest wrote the item:
        # say so rather than truncate it into a plausible KPI.
        if not number.is_finite() or number != number.to_integral_value():
            raise CounterError(f"{item[PK]['S']} {item[SK]['S']}: {name} is {item[name]}, not a whole number")
        counts[name] = int(number)
    return counts


def arm_days(
    dynamodb_client: Any,
    table: str,
    experiment_id: str,
    start: date,
    end: date,
    *,
    reads: Reads | None = None,
) -> Iterator[tuple[date, str, dict[str, int]]]:
    """(day, arm, that day's counters) for each of the experiment's arms with calls from `start`
    to `end`: one Query of the `variant` dimension (other experiments' values are skipped)."""
    arms = {arm_value(experiment_id, arm): arm for arm in ARMS}
    for item in read_counters(dynamodb_client, table, VARIANT, start, end, reads=reads):
        day, value = split_counter_sk(item[SK]["S"])
        arm = arms.get(value)
        if arm is not None:
            yield date.fromisoformat(day), arm, counts_of(item)


def add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    """Add one item's counters into `total` (a counter it lacks adds nothing)."""
    for name, amount in counts.items():
        total[name] = total.get(name, 0) + amount
