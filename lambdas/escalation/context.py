"""What escalation knows about a handoff, read from the flow's parameters and contact attributes.

The flow passes ivr_decision's answer (`route`, `reasons`, `queue` as the hint, `priorityChange`,
`intent`, `sentiment`, `asksForAgent`, `failedAttempts`) and crm_lookup's (`customerFound`,
`customerId`, `firstName`, `tier`, `recentContacts72h`, `openComplaints`, `latestOrder*`,
`callerType`), optionally `lastCsat`, and the queue metrics it has (`estimatedWaitSeconds`,
`agentsAvailable`, `agentsStaffed`, `contactsInQueue`, `oldestContactAgeSeconds`). Anything missing
takes a default; anything malformed is named in `problems` and takes the default.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from lambdas.policy.facts import CALLER_TYPES, CHANNELS, HANDOFF_FACTS, SENTIMENTS, TIERS, Route
from lambdas.shared.event import ContactEvent

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")
_WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "withheld"}


class Profile(NamedTuple):
    """What the agent's screen shows; never logged, never stored with the handoff."""

    customer_id: str = ""
    first_name: str = ""
    latest_order_id: str = ""
    latest_order_status: str = ""


class HandoffContext(NamedTuple):
    facts: dict[str, Any]  # the policy's facts; the handoff adds the calendar's and the wait
    profile: Profile
    caller_e164: str  # only for the callback de-duplication key; empty when not a reachable number
    reasons: tuple[str, ...]  # the decision's reasons in its order, deciding reason first
    problems: list[str]


def build_handoff_context(event: ContactEvent) -> HandoffContext:
    problems: list[str] = []

    def number(name: str, default: float | None, *, low: float = 0, high: float = 1e6) -> float | None:
        raw = event.value(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not low <= value <= high:
            problems.append(name)
            return default
        return value

    def flag(name: str, default: bool) -> bool:
        raw = event.value(name).lower()
        if raw in ("true", "false"):
            return raw == "true"
        if raw:
            problems.append(name)
        return default

    def choice(name: str, options: tuple[str, ...], default: str, *, upper: bool = True) -> str:
        raw = event.value(name)
        value = raw.upper() if upper else raw.lower()
        if raw and value not in options:
            problems.append(name)
        return value if value in options else default

    reasons = [code for code in event.value("reasons").split(",") if code]
    if any(not CODE.match(code) for code in reasons):
        problems.append("reasons")
        reasons = [code for code in reasons if CODE.match(code)]
    intent = event.value("intent").upper()
    if intent and not CODE.match(intent):
        problems.append("intent")
        intent = ""
    channel = event.channel if event.channel in CHANNELS else "UNKNOWN"
    caller_type, e164 = _caller(event, choice("callerType", (*CALLER_TYPES, ""), ""))
    e164 = e164 if channel == "VOICE" else ""  # only a voice call can be called back
    facts: dict[str, Any] = {
        "route": choice("route", tuple(Route), Route.AGENT.value),
        "reasons": frozenset(reasons),
        "queueHint": event.value("queue").lower(),
        "decisionPriorityChange": number("priorityChange", 0.0, low=-10, high=10),
        "intent": intent or "UNKNOWN",
        "sentiment": choice("sentiment", SENTIMENTS, "UNKNOWN"),
        "asksForAgent": flag("asksForAgent", False),
        "failedAttempts": number("failedAttempts", 0.0),
        "tier": choice("tier", TIERS, "standard", upper=False),
        "customerFound": flag("customerFound", bool(event.value("customerId"))),
        "recentContacts72h": number("recentContacts72h", 0.0),
        "openComplaints": number("openComplaints", 0.0),
        "lastCsat": number("lastCsat", None, low=1, high=5),
        "channel": channel,
        "callerType": caller_type,
        "callbackPossible": bool(e164),
        "hours": "OPEN",  # set from the calendar by the handler
        "minutesUntilClose": None,
        "estimatedWaitSeconds": None,
    }
    assert set(facts) == set(HANDOFF_FACTS), "every policy fact must be built"
    profile = Profile(
        customer_id=event.value("customerId")[:64],
        first_name=event.value("firstName")[:40],
        latest_order_id=event.value("latestOrderId")[:32],
        latest_order_status=event.value("latestOrderStatus").upper()[:32],
    )
    return HandoffContext(facts, profile, e164, tuple(dict.fromkeys(reasons)), problems)


def queue_values(event: ContactEvent) -> dict[str, str]:
    """The queue metrics the flow passed, by name, for `queue_metrics.snapshot_from_flow`."""
    names = ("agentsAvailable", "agentsStaffed", "contactsInQueue", "oldestContactAgeSeconds")
    return {name: event.value(name) for name in names if event.value(name)}


def callback_number(event: ContactEvent) -> str:
    """The E.164 number a callback to this contact would dial, "" when it cannot be called back."""
    return _caller(event, "")[1]


def _caller(event: ContactEvent, given: str) -> tuple[str, str]:
    """(caller type, E.164 number or "") from crm_lookup's callerType and the contact's endpoint."""
    endpoint = event.customer_endpoint
    address = endpoint.address if endpoint is not None else ""
    if endpoint is None:
        kind = given or "UNKNOWN"
    elif endpoint.type != "TELEPHONE_NUMBER":
        kind = "NON_PHONE"
    elif address.lower() in _WITHHELD:
        kind = "WITHHELD"
    else:
        kind = given or ("PHONE" if E164.match(address) else "INVALID")
    # Connect gives voice callers in E.164; anything else cannot be called back safely.
    return kind, address if kind == "PHONE" and E164.match(address) else ""
