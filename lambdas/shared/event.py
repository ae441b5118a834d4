"""A typed, forgiving view of the Amazon Connect contact-flow event.

Powertools' `ConnectContactFlowEvent` raises `KeyError` on channels such as TASK or EMAIL and on
most initiation methods, so Tandem reads the raw dict. Every member except the event's shape is
optional: a missing or mistyped member becomes an empty value, never an exception.

What a log may show of the contact (`ContactEvent.log_keys`): its ids, channel and initiation
method only when they have Connect's shape; any other value is replaced by `MALFORMED`, because a
member that is not what Connect sends may hold anything a flow or a caller put there.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

# Connect's codes (its service model's `Channel` and `ContactInitiationMethod` enums; a unit test
# compares them with the installed botocore).
CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
INITIATION_METHODS = (
    "INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT", "MONITOR",
    "EXTERNAL_OUTBOUND", "WEBRTC_API", "AGENT_REPLY", "FLOW",
)  # fmt: skip
# Connect's contact ids are lowercase UUIDs.
CONTACT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What a log shows instead of a member without the expected shape: never the member's text.
MALFORMED = "<malformed>"


class InvalidEvent(ValueError):
    """The event is not a Connect contact-flow event at all."""


class Endpoint(NamedTuple):
    address: str
    type: str  # TELEPHONE_NUMBER, VOIP, CONTACT_FLOW, EMAIL_ADDRESS, ...


class ContactEvent(NamedTuple):
    contact_id: str
    initial_contact_id: str
    channel: str
    initiation_method: str
    instance_arn: str
    language_code: str
    customer_endpoint: Endpoint | None
    system_endpoint: Endpoint | None
    queue_name: str
    attributes: dict[str, str]
    parameters: dict[str, str]

    @property
    def correlation_id(self) -> str:
        """The id that ties every segment of one call together."""
        return self.initial_contact_id or self.contact_id

    def log_keys(self) -> dict[str, str]:
        """The contact's ids and codes as a log may show them (see the module docstring)."""
        return {
            "contact_id": _loggable_id(self.contact_id),
            "channel": _loggable_code(self.channel, CHANNELS),
            "initiation_method": _loggable_code(self.initiation_method, INITIATION_METHODS),
        }

    def log_correlation_id(self) -> str | None:
        """`correlation_id` as a log may show it; None when the event has no id at all."""
        return _loggable_id(self.correlation_id) or None

    def value(self, name: str, default: str = "") -> str:
        """A block parameter, falling back to a contact attribute of the same name."""
        return self.parameters.get(name) or self.attributes.get(name) or default


def parse_contact_event(raw: Any) -> ContactEvent:
    """Read a Connect event; raise `InvalidEvent` only when it has no contact data at all."""
    if not isinstance(raw, dict):
        raise InvalidEvent(f"event must be a JSON object, got {type(raw).__name__}")
    details = raw.get("Details")
    if not isinstance(details, dict):
        raise InvalidEvent("event has no 'Details' object")
    contact = details.get("ContactData")
    if not isinstance(contact, dict):
        raise InvalidEvent("event has no 'Details.ContactData' object")
    contact_id = _text(contact.get("ContactId"))
    queue = contact.get("Queue")
    return ContactEvent(
        contact_id=contact_id,
        initial_contact_id=_text(contact.get("InitialContactId")) or contact_id,
        channel=_text(contact.get("Channel")).upper(),
        initiation_method=_text(contact.get("InitiationMethod")).upper(),
        instance_arn=_text(contact.get("InstanceARN")),
        language_code=_text(contact.get("LanguageCode")),
        customer_endpoint=_endpoint(contact.get("CustomerEndpoint")),
        system_endpoint=_endpoint(contact.get("SystemEndpoint")),
        queue_name=_text(queue.get("Name")) if isinstance(queue, dict) else "",
        attributes=_string_map(contact.get("Attributes")),
        parameters=_string_map(details.get("Parameters")),
    )


def _loggable_id(value: str) -> str:
    return value if not value or CONTACT_ID.fullmatch(value) else MALFORMED


def _loggable_code(value: str, known: tuple[str, ...]) -> str:
    return value if not value or value in known else MALFORMED


def _endpoint(value: Any) -> Endpoint | None:
    if not isinstance(value, dict):
        return None
    return Endpoint(address=_text(value.get("Address")), type=_text(value.get("Type")).upper())


def _string_map(value: Any) -> dict[str, str]:
    """Parameters may arrive nested or as numbers; flows treat every value as a string."""
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, (dict, list)):
            result[str(key)] = json.dumps(item, separators=(",", ":"), default=str)
        else:
            result[str(key)] = _text(item)
    return result


def _text(value: Any) -> str:
    if type(value) is str:  # nearly every value: skip the checks below
        return value.strip()
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()
