"""The IVR documents shipped in the repo (rules, content, calendar, escalation), read and checked at synth.

Pure (no CDK), so the checks are testable without a synth. The ivr_config construct stores the
documents in SSM; the connect construct builds the hours of operation from the calendar's `weekly`
section, so the Lambda's idea of "open" and Connect's never come from two files; the queues the
escalation policy routes to must be queues the stack creates. Every error is one sentence that
starts with the file, because `app.py` prints it as the only line a user sees.
"""

from __future__ import annotations

import itertools
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.packaging import REPO_ROOT
from lambdas.documents import storage_format
from lambdas.documents.registry import KIND_OF

DEFAULTS_DIR = REPO_ROOT / "lambdas" / "documents" / "defaults"

# Document name (storage_format.DOCUMENT_NAMES) → the "kind" its file must declare.
DOCUMENT_KINDS = KIND_OF

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")  # what lambdas/policy/calendar.py accepts
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class IvrDocumentError(ValueError):
    """A default IVR document cannot be deployed; the message names the file and the problem."""


@dataclass(frozen=True)
class DefaultDocument:
    name: str  # one of storage_format.DOCUMENT_NAMES
    source: str  # the file, as shown in messages (repo-relative when inside the repo)
    document: dict[str, object]
    text: str  # storage_format.compact_json(document): what is stored in SSM


@dataclass(frozen=True)
class OpenInterval:
    day: str  # MONDAY … SUNDAY
    open: tuple[int, int]  # (hour, minute)
    close: tuple[int, int]


@dataclass(frozen=True)
class WeeklyHours:
    time_zone: str | None  # the calendar's own timeZone; None: the instance's (context timeZone)
    intervals: tuple[OpenInterval, ...]  # in day order, then by opening time; missing days are closed


def load_default_documents(directory: Path = DEFAULTS_DIR) -> dict[str, DefaultDocument]:
    """Every document in `directory`/<name>.json, parsed, with its declared kind checked."""
    documents: dict[str, DefaultDocument] = {}
    for name in storage_format.DOCUMENT_NAMES:
        path = directory / f"{name}.json"
        source = display_path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as error:
            raise IvrDocumentError(f"{source}: cannot be read ({error.strerror or error})") from None
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as error:
            raise IvrDocumentError(f"{source}: not valid JSON ({error})") from None
        if not isinstance(document, dict):
            raise IvrDocumentError(f"{source}: must be a JSON object, got {type(document).__name__}")
        expected = DOCUMENT_KINDS[name]
        if document.get("kind") != expected:
            raise IvrDocumentError(
                f'{source}: "kind" must be "{expected}", got {json.dumps(document.get("kind"))}'
            )
        documents[name] = DefaultDocument(name, source, document, storage_format.compact_json(document))
    return documents


def weekly_hours(calendar: Mapping[str, object], *, source: str) -> WeeklyHours:
    """The calendar's `weekly` section as open intervals, checked as the Lambda checks it."""
    weekly = calendar.get("weekly")
    if not isinstance(weekly, dict):
        raise IvrDocumentError(
            f'{source}: "weekly" must be an object of DAY → [["HH:MM", "HH:MM"], ...], '
            f"got {json.dumps(weekly)}"
        )
    unknown = [day for day in weekly if day not in DAYS]
    if unknown:
        raise IvrDocumentError(
            f"{source}: weekly has unknown day {json.dumps(unknown[0])}; expected one of {', '.join(DAYS)}"
        )
    intervals: list[OpenInterval] = []
    for day in DAYS:
        pairs = weekly.get(day, [])
        if not isinstance(pairs, list):
            raise IvrDocumentError(
                f'{source}: weekly.{day} must be a list of [open, close] pairs like [["08:00", "18:00"]], '
                f"got {json.dumps(pairs)}"
            )
        day_intervals = sorted(
            (_interval(day, index, pair, source) for index, pair in enumerate(pairs)),
            key=lambda interval: (interval.open, interval.close),
        )
        for first, second in itertools.pairwise(day_intervals):
            if second.open < first.close:
                overlap = f"{_span(first)} and {_span(second)}"
                raise IvrDocumentError(f"{source}: weekly.{day} has overlapping intervals ({overlap})")
        intervals += day_intervals
    return WeeklyHours(_time_zone(calendar.get("timeZone"), source), tuple(intervals))


def policy_queues(policy: Mapping[str, object], *, source: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The escalation policy's `queues`, each of which must be one of `known` (the stack's queues).

    The function maps a queue name to its ARN through QUEUE_ARNS, which holds only the queues the
    stack creates; a policy naming another queue would route callers nowhere, so synth stops here.
    The rest of the policy is the function's to validate (lambdas/policy/escalation.py).
    """
    queues = policy.get("queues")
    if not isinstance(queues, list) or not queues or not all(isinstance(q, str) for q in queues):
        raise IvrDocumentError(
            f'{source}: "queues" must be a non-empty list of queue names, got {json.dumps(queues)}'
        )
    unknown = [q for q in queues if q not in known]
    if unknown:
        raise IvrDocumentError(
            f"{source}: queue {json.dumps(unknown[0])} is not one the stack creates; "
            f"expected one of {', '.join(known)} (infra/constants.py QUEUE_NAMES)"
        )
    return tuple(queues)


def display_path(path: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(REPO_ROOT).as_posix() if resolved.is_relative_to(REPO_ROOT) else str(path)


def _interval(day: str, index: int, pair: object, source: str) -> OpenInterval:
    where = f"{source}: weekly.{day}[{index}]"
    times = (
        [_HHMM.match(value) for value in pair]
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(value, str) for value in pair)
        else []
    )
    if len(times) != 2 or times[0] is None or times[1] is None:
        raise IvrDocumentError(f'{where} must be ["HH:MM", "HH:MM"] (00:00 to 23:59), got {json.dumps(pair)}')
    opens = (int(times[0][1]), int(times[0][2]))
    closes = (int(times[1][1]), int(times[1][2]))
    if closes <= opens:
        raise IvrDocumentError(f"{where} closes at {_hhmm(closes)}, not after it opens at {_hhmm(opens)}")
    return OpenInterval(day, opens, closes)


def _time_zone(value: object, source: str) -> str | None:
    if value in (None, ""):
        return None
    if (
        not isinstance(value, str)
        or value in _NOT_ZONES
        or value.startswith(("posix/", "right/"))
        or value not in zoneinfo.available_timezones()
    ):
        raise IvrDocumentError(
            f'{source}: "timeZone" must be an IANA time zone name like "America/New_York", '
            f"got {json.dumps(value)}"
        )
    return value


def _span(interval: OpenInterval) -> str:
    return f"{_hhmm(interval.open)}-{_hhmm(interval.close)}"


def _hhmm(value: tuple[int, int]) -> str:
    return f"{value[0]:02d}:{value[1]:02d}"
