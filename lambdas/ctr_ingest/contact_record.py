"""One contact trace record (one segment of a call), reduced to what the counters need.

A Kinesis record's data is one CTR JSON object (docs/connect-facts.md §3). `parse_record` keeps the ids,
the timestamps, the queue and agent durations, and a few attributes as codes or ids (the deciding
rule, variant and experiment); it never keeps the
customer's or system's endpoint, the agent's name or any free-text attribute, so no personal data
reaches the Metrics table or a log line. Who called is kept only as `caller`, a keyed hash
(`lambdas.shared.keyed_hash`, purpose `caller`) made while parsing: of the customer's E.164 number,
or, for a contact with no phone endpoint (chat), of the CRM's `customerId` attribute. A withheld,
anonymous or malformed number has no caller key, so such callers never match one another.

A record that would mis-count its call is refused (`MalformedRecord`, with a `Refusal` code and
the field's name, never its value): unreadable data, a missing or malformed id, a missing or
malformed timestamp (the queue's and agent's included), an `Agent` or `Queue` that is neither an
object nor null, a duration that is not a number or is negative or absurdly large, a disconnect
before the initiation. Forgiving elsewhere: unknown fields are ignored, optional members may be
null or absent, and attributes that are not codes read as no code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from lambdas.shared.caller_number import NUMBER_IDENTITY, caller_identity

# Codes as the flows write them (see lambdas/survey/rating.py, which this package does not bundle).
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
QUEUE_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Who decided (ruleId, variant, experimentId, as ivr_decision answers them): ids with a letter, never
# free text or a number that could be someone's phone.
DECIDER_ID = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Connect ids are UUIDs; anything id-like is accepted so sandbox and test ids work too.
CONTACT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}")
# `yyyy-mm-ddThh:mm:ssZ` as documented, plus fractional seconds and a numeric offset.
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII)
RATINGS = ("1", "2", "3", "4", "5")
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
# A contact lasts at most 7 days (chat and tasks; voice far less); a longer duration is corrupt,
# and one beyond DynamoDB's 38 digits would fail the counters' write on every retry.
MAX_DURATION_SECONDS = 30 * 24 * 3600
QUEUE_DURATIONS = ("Duration",)
AGENT_DURATIONS = (
    "AgentInteractionDuration",
    "CustomerHoldDuration",
    "AfterContactWorkDuration",
    "LongestHoldDuration",
    "AgentPauseDuration",
)


# Turns "tel:<E.164>" or "crm:<customer id>" into its keyed hash; never logged, never stored itself.
CallerHash = Callable[[str], str]


class Refusal(StrEnum):
    """Why a record is refused: a short fixed vocabulary (a metric dimension, a listed reason)."""

    NOT_UTF8 = "NOT_UTF8"
    NOT_JSON = "NOT_JSON"
    NOT_AN_OBJECT = "NOT_AN_OBJECT"
    CONTACT_ID_MISSING = "CONTACT_ID_MISSING"
    CONTACT_ID_INVALID = "CONTACT_ID_INVALID"
    TIMESTAMP_MISSING = "TIMESTAMP_MISSING"
    TIMESTAMP_INVALID = "TIMESTAMP_INVALID"
    AGENT_NOT_OBJECT = "AGENT_NOT_OBJECT"
    QUEUE_NOT_OBJECT = "QUEUE_NOT_OBJECT"
    DURATION_NOT_NUMBER = "DURATION_NOT_NUMBER"
    DURATION_NEGATIVE = "DURATION_NEGATIVE"
    DURATION_TOO_LARGE = "DURATION_TOO_LARGE"
    DISCONNECT_BEFORE_INITIATION = "DISCONNECT_BEFORE_INITIATION"


_SAYS = {
    Refusal.NOT_UTF8: "is not UTF-8 text",
    Refusal.NOT_JSON: "is not JSON this function can read",
    Refusal.NOT_AN_OBJECT: "is not a JSON object",
    Refusal.CONTACT_ID_MISSING: "is missing",
    Refusal.CONTACT_ID_INVALID: "is not a contact id",
    Refusal.TIMESTAMP_MISSING: "is missing",
    Refusal.TIMESTAMP_INVALID: "is not yyyy-mm-ddThh:mm:ssZ",
    Refusal.AGENT_NOT_OBJECT: "is neither an object nor null",
    Refusal.QUEUE_NOT_OBJECT: "is neither an object nor null",
    Refusal.DURATION_NOT_NUMBER: "is not a number",
    Refusal.DURATION_NEGATIVE: "is negative",
    Refusal.DURATION_TOO_LARGE: f"is over {MAX_DURATION_SECONDS} seconds",
    Refusal.DISCONNECT_BEFORE_INITIATION: "is before the initiation",
}
RECORD = "record"  # the field named when the whole data is at fault


class MalformedRecord(ValueError):
    """The data is not a contact trace record this function can count.

    The message is one line: the code, the field's name and what is wrong with it, never the value
    (a malformed ContactId may be a phone number). `contact_id` is the record's ContactId when it
    was read before the refusal (it is well formed then), else None.
    """

    def __init__(self, reason: Refusal, field: str = RECORD) -> None:
        super().__init__(f"{reason}: {field} {_SAYS[reason]}")
        self.reason, self.field = reason, field
        self.contact_id: str | None = None


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
    rule: str = ""  # ruleId: the rule that decided (ivr_decision's `ruleId`)
    variant: str = ""  # variant: champion, or an experiment's challenger
    experiment: str = ""  # experimentId: empty when no experiment ran


UNREADABLE_NEXT = "unreadable"  # a NextContactId was there, but is not a contact id


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
    caller: str | None = None  # keyed hash of who called (module docstring); None: unknown, never matches
    next_contact_id: str | None = None  # the segment a transfer made after this one
    # The caller key is the number's: fixed for the contact's life, where a CRM id (an attribute) may
    # change in a later version of the record
    caller_by_number: bool = False

    @property
    def single_segment(self) -> bool:
        """This record alone is its call: the initial segment, with no segment before or after it."""
        return (
            self.contact_id == self.initial_contact_id
            and self.previous_contact_id is None
            and self.next_contact_id is None
        )


def parse_record(data: bytes | str, hash_caller: CallerHash | None = None) -> ContactRecord:
    """Read one CTR; raise `MalformedRecord` (a code and a field name) when it cannot be counted.

    Without `hash_caller` the record has no caller key (`caller` None)."""
    raw = _load(data)
    contact_id = _contact_id(raw, "ContactId", required=True) or ""
    try:
        return _read(raw, contact_id, hash_caller)
    except MalformedRecord as refused:
        refused.contact_id = contact_id
        raise


def _read(raw: dict[str, Any], contact_id: str, hash_caller: CallerHash | None) -> ContactRecord:
    initiation = _timestamp(raw, "InitiationTimestamp")
    connected = _timestamp(raw, "ConnectedToSystemTimestamp")
    if initiation is None:  # absent on some channels and older records: connection is the next best
        initiation = connected
    if initiation is None:
        raise MalformedRecord(Refusal.TIMESTAMP_MISSING, "InitiationTimestamp")
    last_update = _timestamp(raw, "LastUpdateTimestamp")
    if last_update is None:
        raise MalformedRecord(Refusal.TIMESTAMP_MISSING, "LastUpdateTimestamp")
    disconnect = _timestamp(raw, "DisconnectTimestamp")
    if disconnect is not None and disconnect < initiation:
        raise MalformedRecord(Refusal.DISCONNECT_BEFORE_INITIATION, "DisconnectTimestamp")
    identity = _identity(raw)
    caller = hash_caller(identity) if hash_caller is not None and identity is not None else None
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
        caller=caller,
        caller_by_number=caller is not None and identity is not None and identity.startswith(NUMBER_IDENTITY),
        next_contact_id=_next_contact_id(raw),
    )


def _identity(raw: dict[str, Any]) -> str | None:
    """What the caller's key is made of: the number, else the CRM customer id when the contact has no
    phone endpoint; None for a withheld or malformed number, and when nothing identifies the caller."""
    endpoint = raw.get("CustomerEndpoint")
    endpoint = endpoint if isinstance(endpoint, dict) else {}
    attributes = raw.get("Attributes")
    customer = _text(attributes.get("customerId")) if isinstance(attributes, dict) else ""
    return caller_identity(endpoint.get("Type"), endpoint.get("Address"), customer)


def _load(data: bytes | str) -> dict[str, Any]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRecord(Refusal.NOT_UTF8) from None
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        # JSONDecodeError; nested too deeply; an integer beyond Python's int conversion limit
        raise MalformedRecord(Refusal.NOT_JSON) from None
    if not isinstance(raw, dict):
        raise MalformedRecord(Refusal.NOT_AN_OBJECT)
    return raw


def _contact_id(raw: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise MalformedRecord(Refusal.CONTACT_ID_MISSING, name)
        return None
    if not isinstance(value, str) or not CONTACT_ID.fullmatch(value):
        raise MalformedRecord(Refusal.CONTACT_ID_INVALID, name)
    return value


def _next_contact_id(raw: dict[str, Any]) -> str | None:
    """NextContactId only tells whether a transfer followed this segment, so an unreadable one is
    not a reason to refuse the record: it still says a segment followed (`UNREADABLE_NEXT`), and
    the call is kept as a call of several segments, which is always a safe home for its state."""
    value = raw.get("NextContactId")
    if value is None:
        return None
    return value if isinstance(value, str) and CONTACT_ID.fullmatch(value) else UNREADABLE_NEXT


def _timestamp(raw: dict[str, Any], name: str, where: str = "") -> datetime | None:
    """None when absent or null; `MalformedRecord` when present in another format."""
    value = raw.get(name)
    if value is None:
        return None
    parsed = _parse_time(value)
    if parsed is None:
        raise MalformedRecord(Refusal.TIMESTAMP_INVALID, where + name)
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


def _seconds(member: dict[str, Any], name: str, where: str) -> int | None:
    """A duration in whole seconds (a JSON number), None when null or absent; refused otherwise."""
    value = member.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedRecord(Refusal.DURATION_NOT_NUMBER, where + name)
    if isinstance(value, float) and not math.isfinite(value):  # NaN, Infinity: Python's JSON reads them
        raise MalformedRecord(Refusal.DURATION_NOT_NUMBER, where + name)
    if value < 0:
        raise MalformedRecord(Refusal.DURATION_NEGATIVE, where + name)
    if value > MAX_DURATION_SECONDS:
        raise MalformedRecord(Refusal.DURATION_TOO_LARGE, where + name)
    return round(value)


def _durations(member: dict[str, Any], names: tuple[str, ...], where: str) -> list[int | None]:
    """Every duration of the member checked (a bad one the counters skip still means a bad record)."""
    return [_seconds(member, name, where) for name in names]


def _queue(value: Any) -> QueueSegment | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MalformedRecord(Refusal.QUEUE_NOT_OBJECT, "Queue")
    name = value.get("Name")
    (duration,) = _durations(value, QUEUE_DURATIONS, "Queue.")
    return QueueSegment(
        name=name.strip() if isinstance(name, str) else "",
        enqueued=_timestamp(value, "EnqueueTimestamp", "Queue."),
        dequeued=_timestamp(value, "DequeueTimestamp", "Queue."),
        duration=duration,
    )


def _agent(value: Any) -> AgentSegment | None:
    # Only times and durations: Username, ARN and hierarchy identify a person and are not needed.
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MalformedRecord(Refusal.AGENT_NOT_OBJECT, "Agent")
    interaction, hold, acw, *_ = _durations(value, AGENT_DURATIONS, "Agent.")
    return AgentSegment(
        connected_at=_timestamp(value, "ConnectedToAgentTimestamp", "Agent."),
        interaction=interaction,
        hold=hold,
        acw=acw,
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
        rule=_decider_id(value.get("ruleId")),
        variant=_decider_id(value.get("variant")),
        experiment=_decider_id(value.get("experimentId")),
    )


def _decider_id(value: Any) -> str:
    """An id as ivr_decision writes it (`vip-customer`, `champion`, `exp-2026-12`), or empty."""
    text = _text(value)
    return text if DECIDER_ID.fullmatch(text) else ""


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
