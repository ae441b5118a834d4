"""When people are available: weekly hours plus holiday and emergency closures.

Evaluated in the instance's time zone (or the calendar's own `timeZone`), so "Christmas" and
"18:00" mean the contact centre's local day and time, whatever the Lambda's clock says.
Closures beat weekly hours; an emergency beats a holiday.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lambdas.policy.validation import HEADER_FIELDS, Problems, check_header, check_keys, join, type_name

KIND = "tandem/ivr-calendar"
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
CLOSURE_TYPES = ("HOLIDAY", "EMERGENCY")
CLOSURE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Closure(NamedTuple):
    id: str
    type: str  # HOLIDAY | EMERGENCY
    names: Mapping[str, str]  # language → name a flow can speak
    every: tuple[int, int] | None = None  # (month, day), every year
    start: datetime | None = None  # naive local time; a single date is a whole-day range
    end: datetime | None = None

    def covers(self, local: datetime) -> bool:
        if self.every is not None:
            return (local.month, local.day) == self.every
        assert self.start is not None and self.end is not None
        return self.start <= local.replace(tzinfo=None) < self.end

    def name(self, language: str, default_language: str = "en") -> str:
        return (
            self.names.get(language)
            or self.names.get(default_language)
            or next(iter(self.names.values()), "")
        )


class HoursStatus(NamedTuple):
    hours: str  # OPEN, AFTER_HOURS, HOLIDAY, EMERGENCY
    closure: Closure | None = None

    @property
    def is_open(self) -> bool:
        return self.hours == "OPEN"


class Calendar(NamedTuple):
    revision: str
    time_zone: ZoneInfo | None  # None: use the instance's time zone
    weekly: Mapping[str, tuple[tuple[time, time], ...]]
    closures: tuple[Closure, ...]

    def status_at(
        self, moment: datetime, instance_zone: ZoneInfo, weekly_open: bool | None = None
    ) -> HoursStatus:
        """Hours at `moment` (aware); `weekly_open` is the flow's own hours check when it passed one."""
        local = moment.astimezone(self.time_zone or instance_zone)
        covering = [c for c in self.closures if c.covers(local)]
        for kind in ("EMERGENCY", "HOLIDAY"):
            for closure in covering:
                if closure.type == kind:
                    return HoursStatus(kind, closure)
        is_open = self.open_weekly(local) if weekly_open is None else weekly_open
        return HoursStatus("OPEN" if is_open else "AFTER_HOURS")

    def minutes_until_close(self, moment: datetime, instance_zone: ZoneInfo) -> float | None:
        """Minutes until people leave (end of the current opening interval, or a closure starting
        sooner); None when closed now. Ignores the flow's own hours check: a calendar question."""
        local = moment.astimezone(self.time_zone or instance_zone)
        if self.status_at(moment, instance_zone).hours != "OPEN":
            return None
        naive = local.replace(tzinfo=None)
        now = naive.time()
        ends = [
            datetime.combine(naive.date(), end)
            for start, end in self.weekly.get(DAYS[local.weekday()], ())
            if start <= now < end
        ]
        if not ends:
            return None
        closing = min(ends)
        for closure in self.closures:
            if closure.start is not None and naive < closure.start < closing:
                closing = closure.start
        return (closing - naive).total_seconds() / 60

    def open_weekly(self, local: datetime) -> bool:
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.weekly.get(DAYS[local.weekday()], ()))


def parse_calendar(document: Any) -> Calendar:
    problems = Problems()
    if not check_keys(
        problems,
        "",
        document,
        required=(*HEADER_FIELDS[:3], "weekly"),
        optional=(*HEADER_FIELDS[3:], "timeZone", "closures"),
    ):
        problems.raise_if_any()
    check_header(problems, document, KIND)
    zone = _zone(problems, document.get("timeZone"))
    weekly = _weekly(problems, document.get("weekly"))
    closures = _closures(problems, document.get("closures", []))
    problems.raise_if_any()
    return Calendar(document["revision"], zone, weekly, closures)


def _zone(problems: Problems, value: Any) -> ZoneInfo | None:
    if value in (None, ""):
        return None
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("timeZone", f"must be an IANA time zone such as America/New_York, got {value!r}")
        return None


def _weekly(problems: Problems, value: Any) -> dict[str, tuple[tuple[time, time], ...]]:
    if not isinstance(value, Mapping):
        problems.add("weekly", f"must be an object of DAY → [[open, close], ...], got {type_name(value)}")
        return {}
    weekly: dict[str, tuple[tuple[time, time], ...]] = {}
    for day, intervals in value.items():
        where = join("weekly", day)
        if day not in DAYS:
            problems.add(where, f"unknown day; expected one of {', '.join(DAYS)}")
            continue
        if not isinstance(intervals, list):
            problems.add(where, 'must be a list of [open, close] pairs like ["08:00", "18:00"]')
            continue
        parsed = []
        for i, pair in enumerate(intervals):
            if not (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(t, str) and HHMM.match(t) for t in pair)
            ):
                problems.add(join(where, i), f'must be ["HH:MM", "HH:MM"], got {pair!r}')
                continue
            start, end = time.fromisoformat(pair[0]), time.fromisoformat(pair[1])
            if end <= start:
                problems.add(join(where, i), f"closes at {pair[1]}, not after it opens at {pair[0]}")
                continue
            parsed.append((start, end))
        parsed.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(parsed):
            if second_start < first_end:
                problems.add(where, "intervals overlap")
        weekly[day] = tuple(parsed)
    return weekly


def _closures(problems: Problems, value: Any) -> tuple[Closure, ...]:
    if not isinstance(value, list):
        problems.add("closures", f"must be a list, got {type_name(value)}")
        return ()
    closures: list[Closure] = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        closure_id = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"closure {closure_id!r} (closures[{i}])" if isinstance(closure_id, str) else f"closures[{i}]"
        if not check_keys(
            problems, where, raw, required=("id", "type", "name"), optional=("every", "date", "start", "end")
        ):
            continue
        if not isinstance(closure_id, str) or not CLOSURE_ID.match(closure_id) or closure_id in seen:
            problems.add(f"{where} field id", "must be a unique lower-case id like christmas")
        seen.add(str(closure_id))
        if raw["type"] not in CLOSURE_TYPES:
            problems.add(f"{where} field type", f"must be HOLIDAY or EMERGENCY, got {raw['type']!r}")
        names = raw["name"]
        if isinstance(names, str):
            names = {"en": names}
        if (
            not isinstance(names, Mapping)
            or not names
            or not all(isinstance(n, str) and n for n in names.values())
        ):
            problems.add(f"{where} field name", "must be text or an object of language → text")
            continue
        when = _when(problems, where, raw)
        if when is not None:
            closures.append(Closure(str(closure_id), str(raw["type"]), dict(names), *when))
    return tuple(closures)


def _when(
    problems: Problems, where: str, raw: Mapping[str, Any]
) -> tuple[tuple[int, int] | None, datetime | None, datetime | None] | None:
    given = [k for k in ("every", "date", "start") if k in raw]
    if given not in (["every"], ["date"], ["start"]) or ("end" in raw) != ("start" in raw):
        problems.add(where, "needs exactly one of every (MM-DD), date (YYYY-MM-DD) or start + end")
        return None
    if "every" in raw:
        if not isinstance(raw["every"], str) or not MONTH_DAY.match(raw["every"]):
            problems.add(f"{where} field every", f"must be MM-DD like 12-25, got {raw['every']!r}")
            return None
        month, day = (int(p) for p in raw["every"].split("-"))
        try:
            date(2024, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            problems.add(f"{where} field every", f"{raw['every']} is not a day of the year")
            return None
        return (month, day), None, None
    if "date" in raw:
        try:
            day_start = datetime.combine(date.fromisoformat(str(raw["date"])), time())
        except ValueError:
            problems.add(f"{where} field date", f"must be YYYY-MM-DD, got {raw['date']!r}")
            return None
        return None, day_start, day_start + timedelta(days=1)
    try:
        start = datetime.fromisoformat(str(raw["start"]))
        end = datetime.fromisoformat(str(raw["end"]))
    except ValueError:
        problems.add(f"{where} field start", "start and end must be local times like 2026-11-23T14:00")
        return None
    if start.tzinfo is not None or end.tzinfo is not None:
        problems.add(f"{where} field start", "start and end are local times: leave out the UTC offset")
        return None
    if end <= start:
        problems.add(f"{where} field end", "must be after start")
        return None
    return None, start, end
