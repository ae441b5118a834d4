"""A KPI report over a date range, read from the Metrics table's per-day counters.

A report reads one Query per dimension it shows (`all`, plus the `by` dimension when there is
one), each selecting a whole date range of counter items by sort key, so a year costs the same
two queries as a day: the pages of those queries are the only reads. Calls are never read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from lambdas.ctr_ingest.aggregates import ALL, DIMENSIONS, NONE
from lambdas.ctr_ingest.config import RECONTACT_WINDOW_HOURS
from lambdas.shared.counters import SK, Reads, counts_of, read_counters, split_counter_sk
from tandem.kpi import KpiValue, Totals, by_value, kpis, ranked, total

MAX_DAYS = 366  # a leap year; longer ranges are several reports (and years of counters are kept)
GROUPS = tuple(d for d in DIMENSIONS if d != ALL)  # what `--by` accepts
# How long after a call a recontact still counts against it: ctr_ingest's default.
DEFAULT_RECONTACT_WINDOW_HOURS = RECONTACT_WINDOW_HOURS
INTERVAL = "interval"  # values `<queue>@HH:MM`: listed by queue, then in time order


class RangeError(ValueError):
    """A date range a report cannot cover; the message is one line."""


def check_range(start: date, end: date) -> None:
    if start > end:
        raise RangeError(f"the range starts after it ends ({start} > {end})")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise RangeError(f"{start} to {end} is {days} days; a report covers at most {MAX_DAYS}")


@dataclass(frozen=True)
class Provisional:
    """Which days' figures can still change: a day is provisional while its recontact window is
    open, that is until the end of the day in the centre's zone plus the window (a call late that
    day can still be recontacted until then, and a recontact moves it from resolved to recontacted)."""

    zone: tzinfo
    window: timedelta
    as_of: datetime  # aware: when the report was made

    def __call__(self, day: date) -> bool:
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return end_of_day + self.window > self.as_of

    def days(self, start: date, end: date) -> list[date]:
        """The provisional days from `start` to `end` (inclusive): the range's last days, if any."""
        every = (start + timedelta(days=n) for n in range((end - start).days + 1))
        return [day for day in every if self(day)]


@dataclass(frozen=True)
class DayCount:
    """One day's counters (the `all` dimension) and so its KPIs: the report by day."""

    day: date
    totals: Totals
    provisional: bool

    @property
    def contacts(self) -> int:
        return self.totals["contacts"]

    @property
    def kpis(self) -> dict[str, KpiValue]:
        return kpis(self.totals)


@dataclass(frozen=True)
class Row:
    value: str
    totals: Totals
    provisional: bool = False  # some of its counters are on a provisional day

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
    provisional: Provisional | None = None  # None: not judged (no clock given)
    daily: tuple[DayCount, ...] = ()  # each day with counters, in order

    @property
    def provisional_days(self) -> list[date]:
        return [] if self.provisional is None else self.provisional.days(self.start, self.end)

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
                {
                    "value": row.value,
                    "rank": rank,
                    "counts": row.totals.as_dict(),
                    "kpis": row.kpis,
                    "provisional": row.provisional,
                }
                for rank, row in enumerate(self.rows, start=1)
            ],
            **self._provisional_dict(),
            "reads": self.reads.to_dict(),
        }

    def _provisional_dict(self) -> dict[str, Any]:
        judged = self.provisional
        return {
            "asOf": None if judged is None else judged.as_of.isoformat(),
            "timeZone": None if judged is None else str(judged.zone),
            "recontactWindowHours": None if judged is None else judged.window / timedelta(hours=1),
            "provisionalDays": [day.isoformat() for day in self.provisional_days],
            "daily": [
                {
                    "day": d.day.isoformat(),
                    "contacts": d.contacts,
                    "provisional": d.provisional,
                    "kpis": d.kpis,
                }
                for d in self.daily
            ],
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
    provisional: Provisional | None = None,
) -> Report:
    """Overall KPIs (the `all` dimension) and, with `by`, one row per value of that dimension;
    with `provisional`, which days (and rows) can still change."""
    check_range(start, end)
    if by is not None and by not in GROUPS:
        raise ValueError(f"cannot report by {by!r}; expected one of {', '.join(GROUPS)}")
    reads = Reads()
    overall_items = read_counters(dynamodb_client, table, ALL, start, end, reads=reads, page_size=page_size)
    overall_counts = [counts_of(item) for item in overall_items]
    is_provisional = provisional or (lambda _: False)
    per_day = by_value(
        (split_counter_sk(item[SK]["S"])[0], counts)
        for item, counts in zip(overall_items, overall_counts, strict=True)
    )
    daily = tuple(
        DayCount(date.fromisoformat(day), totals, is_provisional(date.fromisoformat(day)))
        for day, totals in sorted(per_day.items())
    )
    rows: tuple[Row, ...] = ()
    if by is not None:
        items = read_counters(dynamodb_client, table, by, start, end, reads=reads, page_size=page_size)
        keyed = [(*split_counter_sk(item[SK]["S"]), counts_of(item)) for item in items]
        groups = by_value((value, counts) for _, value, counts in keyed)
        open_values = {value for day, value, _ in keyed if is_provisional(date.fromisoformat(day))}
        ordered = _interval_order(groups) if by == INTERVAL else ranked(groups)
        rows = tuple(Row(value, totals, value in open_values) for value, totals in ordered)
    return Report(
        start=start,
        end=end,
        by=by,
        overall=total(overall_counts),
        rows=rows,
        days_with_calls=sum(1 for d in daily if d.contacts),
        reads=reads,
        service_level_seconds=service_level_seconds,
        provisional=provisional,
        daily=daily,
    )


def _interval_order(groups: dict[str, Totals]) -> Iterable[tuple[str, Totals]]:
    """Half-hours by queue (NONE last), then in time order: a queue's day reads top to bottom."""

    def key(pair: tuple[str, Totals]) -> tuple[bool, str, str]:
        queue, _, half_hour = pair[0].rpartition("@")
        return queue == NONE, queue, half_hour

    return sorted(groups.items(), key=key)
