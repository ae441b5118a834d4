"""A KPI report over a date range, read from the Metrics table's per-day counters.

A report reads one Query per dimension it shows (`all`, plus the `by` dimension when there is
one), each selecting a whole date range of counter items by sort key, so a year costs the same
two queries as a day: the pages of those queries are the only reads. Calls are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lambdas.ctr_ingest.aggregates import ALL, DIMENSIONS, PK, SK, day_range, split_counter_sk
from lambdas.shared.kpi import COUNTERS
from tandem.kpi import KpiValue, Totals, by_value, kpis, ranked, total

MAX_DAYS = 366  # a leap year; longer ranges are several reports (and years of counters are kept)
GROUPS = tuple(d for d in DIMENSIONS if d != ALL)  # what `--by` accepts

Item = dict[str, Any]  # a DynamoDB item in the low-level client's format ({"N": "3"})


class RangeError(ValueError):
    """A date range a report cannot cover; the message is one line."""


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


def check_range(start: date, end: date) -> None:
    if start > end:
        raise RangeError(f"the range starts after it ends ({start} > {end})")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise RangeError(f"{start} to {end} is {days} days; a report covers at most {MAX_DAYS}")


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


@dataclass(frozen=True)
class Row:
    value: str
    totals: Totals

    @property
    def kpis(self) -> dict[str, KpiValue]:
        return kpis(self.totals)


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    by: str | None
    overall: Totals
    rows: tuple[Row, ...]  # one per value of `by`, most contacts first (NONE last)
    days_with_calls: int
    reads: Reads
    service_level_seconds: int | None = None  # the ingestion threshold, when the caller knows it

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def kpis(self) -> dict[str, KpiValue]:
        return kpis(self.overall)

    def to_dict(self) -> dict[str, Any]:
        """Raw counts and ratios (unrounded) for machines: JSON as it is."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "daysWithCalls": self.days_with_calls,
            "serviceLevelThresholdSeconds": self.service_level_seconds,
            "overall": {"counts": self.overall.as_dict(), "kpis": self.kpis},
            "by": self.by,
            "rows": [
                {"value": row.value, "rank": rank, "counts": row.totals.as_dict(), "kpis": row.kpis}
                for rank, row in enumerate(self.rows, start=1)
            ],
            "reads": self.reads.to_dict(),
        }


def build_report(
    dynamodb_client: Any,
    table: str,
    start: date,
    end: date,
    by: str | None = None,
    *,
    service_level_seconds: int | None = None,
    page_size: int | None = None,
) -> Report:
    """Overall KPIs (the `all` dimension) and, with `by`, one row per value of that dimension."""
    check_range(start, end)
    if by is not None and by not in GROUPS:
        raise ValueError(f"cannot report by {by!r}; expected one of {', '.join(GROUPS)}")
    reads = Reads()
    overall_items = read_counters(dynamodb_client, table, ALL, start, end, reads=reads, page_size=page_size)
    overall_counts = [counts_of(item) for item in overall_items]
    days_with_calls = len(
        {
            split_counter_sk(item[SK]["S"])[0]
            for item, counts in zip(overall_items, overall_counts, strict=True)
            if counts.get("contacts", 0)
        }
    )
    rows: tuple[Row, ...] = ()
    if by is not None:
        items = read_counters(dynamodb_client, table, by, start, end, reads=reads, page_size=page_size)
        groups = by_value((split_counter_sk(item[SK]["S"])[1], counts_of(item)) for item in items)
        rows = tuple(Row(value, totals) for value, totals in ranked(groups))
    return Report(
        start=start,
        end=end,
        by=by,
        overall=total(overall_counts),
        rows=rows,
        days_with_calls=days_with_calls,
        reads=reads,
        service_level_seconds=service_level_seconds,
    )
