"""One contact trace record (one segment of a call), reduced to what the counters need.

A Kinesis record's data is one CTR JSON object (docs/connect-facts.md §3). `parse_record` keeps the ids,
the timestamps, the queue and agent durations, and a few attributes as codes; it never keeps the
customer's or system's endpoint, the agent's name or any free-text attribute, so no personal data
reaches the Metrics table or a log line.

Strict where a wrong value would mis-count the call (the ids, `LastUpdateTimestamp`, the initiation
time: `MalformedRecord`), forgiving elsewhere: unknown fields are ignored, optional members may be
null or absent, and a negative or non-numeric duration or an unreadable queue/agent timestamp is
read as missing rather than failing the whole record.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Codes as the flows write them (see lambdas/survey/record.py, which this package does not bundle).
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
QUEUE_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Connect ids are UUIDs; anything id-like is accepted so sandbox and test ids work too.
CONTACT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}")
# `yyyy-mm-ddThh:mm:ssZ` as documented, plus fractional seconds and a numeric offset.
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII)
RATINGS = ("1", "2", "3", "4", "5")
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


class MalformedRecord(ValueError):
    """The data is not a contact trace record this function can count."""


@dataclass(frozen=True)
class QueueSegment:
    name: str  # the queue's display name (set by the administrator, never personal)
    enqueued: datetime | None
    dequeued: datetime | None
    duration: int | None  # seconds in queue, whole


@dataclass(frozen=True)
class AgentSegment:
    connected_at: datetime | None
    interaction: int | None  # seconds, whole
    hold: int | None
    acw: int | None


@dataclass(frozen=True)
class Attributes:
    """The contact attributes the counters use, each a code or empty (csat: 1..5 or None)."""

    outcome: str = ""  # tandemOutcome: SELF_SERVED, QUEUED, CALLBACK, CLOSED, NOT_CONNECTED
    route: str = ""
    intent: str = ""
    reasons: tuple[str, ...] = ()
    queue: str = ""
    csat: int | None = None


@dataclass(frozen=True)
class ContactRecord:
    contact_id: str
    initial_contact_id: str  # the call's id: contact_id itself on the first segment
    previous_contact_id: str | None
    channel: str
    initiation_method: str
    initiation: datetime  # UTC
    last_update: datetime  # UTC; the version of this segment's record
    disconnect_reason: str
    queue: QueueSegment | None
    agent: AgentSegment | None
    transferred_to_endpoint: bool  # only whether: the endpoint holds a phone number
    attributes: Attributes


def parse_record(data: bytes | str) -> ContactRecord:
    """Read one CTR; raise `MalformedRecord` with a one-line reason when it cannot be counted."""
    raw = _load(data)
    contact_id = _contact_id(raw, "ContactId", required=True) or ""
    initiation = _timestamp(raw, "InitiationTimestamp")
    if initiation is None:  # absent on some channels and older records: connection is the next best
        initiation = _timestamp(raw, "ConnectedToSystemTimestamp")
    if initiation is None:
        raise MalformedRecord("record has neither InitiationTimestamp nor ConnectedToSystemTimestamp")
    last_update = _timestamp(raw, "LastUpdateTimestamp")
    if last_update is None:
        raise MalformedRecord("record has no LastUpdateTimestamp")
    return ContactRecord(
        contact_id=contact_id,
        initial_contact_id=_contact_id(raw, "InitialContactId") or contact_id,
        previous_contact_id=_contact_id(raw, "PreviousContactId"),
        channel=_code(raw.get("Channel")),
        initiation_method=_code(raw.get("InitiationMethod")),
        initiation=initiation,
        last_update=last_update,
        disconnect_reason=_code(raw.get("DisconnectReason")),
        queue=_queue(raw.get("Queue")),
        agent=_agent(raw.get("Agent")),
        transferred_to_endpoint=raw.get("TransferredToEndpoint") not in (None, {}, ""),
        attributes=_attributes(raw.get("Attributes")),
    )


def _load(data: bytes | str) -> dict[str, Any]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedRecord(f"record is not UTF-8 text (byte {error.start})") from None
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as error:
        raise MalformedRecord(
            f"record is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise MalformedRecord("record is not JSON this function can read: nested too deeply") from None
    except ValueError:  # an integer beyond Python's int conversion limit (4300 digits)
        raise MalformedRecord("record is not JSON this function can read: a number too long") from None
    if not isinstance(raw, dict):
        raise MalformedRecord(f"record must be a JSON object, got {_kind(raw)}")
    return raw


def _contact_id(raw: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise MalformedRecord(f"record has no {name}")
        return None
    if not isinstance(value, str) or not CONTACT_ID.fullmatch(value):
        raise MalformedRecord(f"{name} is not a contact id: {_shown(value)}")
    return value


def _timestamp(raw: dict[str, Any], name: str) -> datetime | None:
    """None when absent or null; `MalformedRecord` when present in another format."""
    value = raw.get(name)
    if value is None:
        return None
    parsed = _parse_time(value)
    if parsed is None:
        raise MalformedRecord(f"{name} is not yyyy-mm-ddThh:mm:ssZ: {_shown(value)}")
    return parsed


def _parse_time(value: Any) -> datetime | None:
    match = TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    whole, fraction, offset = match.groups()
    # fromisoformat wants at most microseconds; a longer fraction is truncated, not rounded.
    text = whole + (fraction or "")[:7] + ("+00:00" if offset == "Z" else offset)
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError):  # the right shape but no such time: month 13, 25 o'clock, year 0
        return None
    # A day short of the calendar's ends, so that any time zone (the centre's day) can show it.
    return moment if EARLIEST <= moment <= LATEST else None


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _parse_time(value)


def _seconds(value: Any) -> int | None:
    """A duration in whole seconds from an int, float or numeric string; None when unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return round(number)


def _queue(value: Any) -> QueueSegment | None:
    if not isinstance(value, dict):
        return None
    name = value.get("Name")
    return QueueSegment(
        name=name.strip() if isinstance(name, str) else "",
        enqueued=_optional_time(value.get("EnqueueTimestamp")),
        dequeued=_optional_time(value.get("DequeueTimestamp")),
        duration=_seconds(value.get("Duration")),
    )


def _agent(value: Any) -> AgentSegment | None:
    # Only times and durations: Username, ARN and hierarchy identify a person and are not needed.
    if not isinstance(value, dict):
        return None
    return AgentSegment(
        connected_at=_optional_time(value.get("ConnectedToAgentTimestamp")),
        interaction=_seconds(value.get("AgentInteractionDuration")),
        hold=_seconds(value.get("CustomerHoldDuration")),
        acw=_seconds(value.get("AfterContactWorkDuration")),
    )


def _attributes(value: Any) -> Attributes:
    if not isinstance(value, dict):
        return Attributes()
    queue = _text(value.get("queue")).lower()
    reasons = (_code(code) for code in _text(value.get("reasons")).split(","))
    return Attributes(
        outcome=_code(value.get("tandemOutcome")),
        route=_code(value.get("route")),
        intent=_code(value.get("intent")),
        reasons=tuple(dict.fromkeys(code for code in reasons if code)),  # once each, in order
        queue=queue if QUEUE_CODE.fullmatch(queue) else "",
        csat=_rating(value.get("csat")),
    )


def _code(value: Any) -> str:
    """An upper-case code, or empty: free text (which could carry personal data) is dropped."""
    text = _text(value).upper()
    return text if CODE.fullmatch(text) else ""


def _rating(value: Any) -> int | None:
    """1..5 from one digit or a whole number; 0, 6, 3.5, words and empty are None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _text(value)
    return int(text) if text in RATINGS else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _shown(value: Any) -> str:
    """The offending value for an error message: one line, short (ids and times are not personal)."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
