"""The decision context: every fact a rule can test, built from the event's parameters and attributes.

A flow passes what it knows as block parameters. What the caller said or pressed on this turn
(`TURN_SIGNALS`) is read from the block's parameters only: a contact attribute of the same name is
left over from an earlier turn (or another flow) and must not pass for this turn's input. Everything
else falls back to a contact attribute of the same name:

    intent, intentConfidence      $.Lex.IntentName, $.Lex.IntentConfidence.Score
    menuChoice                    the DTMF key pressed, mapped to an intent by the rule set's menu
    transcript                    what the caller said or typed (read for "agent" requests only)
    sentiment                     $.Lex.SentimentResponse.Label
    failedAttempts                self-service attempts so far
    customerFound, crmStatus, tier, recentContacts72h, openComplaints, callerType,
    latestOrderId, latestOrderStatus, latestOrderEta, language      crm_lookup's answer
    agentsAvailable, contactsInQueue, oldestContactAgeSeconds, estimatedWaitSeconds   queue metrics
    hoursOpen                     the flow's own hours check (true/false), when it made one

Missing values take the defaults in `facts.DECISION_FACTS`; a malformed value is noted in `problems`
(by name only) and replaced by its default, so a bad attribute can never crash a decision.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lambdas.policy.calendar import Calendar, Closure
from lambdas.policy.content import Order
from lambdas.policy.facts import CALLER_TYPES, CHANNELS, SENTIMENTS, TIERS
from lambdas.policy.rules import RuleSet
from lambdas.shared.event import ContactEvent

MAX_COUNT = 1_000_000.0
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Z0-9]+")
# This turn's input: block parameters only, never a contact attribute kept from an earlier turn.
TURN_SIGNALS = frozenset({"intent", "intentConfidence", "menuChoice", "transcript", "sentiment"})
_WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "withheld"}


@dataclass
class DecisionContext:
    facts: dict[str, Any]
    order: Order | None
    closure: Closure | None
    problems: list[str] = field(default_factory=list)  # names of malformed signals


def build_context(
    event: ContactEvent, rules: RuleSet, calendar: Calendar, now: datetime, zone: ZoneInfo
) -> DecisionContext:
    reader = _Reader(event)
    intent, source, confidence = _intent(reader, rules)
    transcript = reader.raw("transcript")
    asks = intent == rules.agent_request_intent or bool(transcript and _asks_for_person(transcript))
    channel = event.channel if event.channel in CHANNELS else "UNKNOWN"
    caller_type = _caller_type(reader, event)
    status = calendar.status_at(now, zone, reader.flag("hoursOpen", None))
    crm_status = event.value("crmStatus").upper()
    customer_found = reader.flag("customerFound", bool(event.value("customerId")))
    order = _order(event)
    queue = {
        name: reader.number(name, None)
        for name in ("agentsAvailable", "contactsInQueue", "oldestContactAgeSeconds", "estimatedWaitSeconds")
    }
    facts: dict[str, Any] = {
        "intent": intent,
        "intentSource": source,
        "confidence": confidence,
        "asksForAgent": asks,
        "sentiment": reader.choice("sentiment", SENTIMENTS, "UNKNOWN", upper=True),
        "failedAttempts": reader.number("failedAttempts", 0.0),
        "customerFound": customer_found,
        "crmDegraded": crm_status == "DEGRADED",
        "tier": reader.choice("tier", TIERS, "standard", upper=False),
        "recentContacts72h": reader.number("recentContacts72h", 0.0),
        "openComplaints": reader.number("openComplaints", 0.0),
        "hasOpenOrder": order is not None,
        "latestOrderStatus": order.status if order else "",
        "channel": channel,
        "language": _language(event),
        "callerType": caller_type,
        "callbackPossible": channel == "VOICE" and caller_type == "PHONE",
        **queue,
        "queueMetricsKnown": any(v is not None for v in queue.values()),
        "hours": status.hours,
        "isOpen": status.is_open,
    }
    return DecisionContext(facts, order, status.closure, reader.problems)


class _Reader:
    """Typed reads of flow values that record, by name only, which ones were malformed."""

    def __init__(self, event: ContactEvent) -> None:
        self.event = event
        self.problems: list[str] = []

    def raw(self, name: str) -> str:
        """The flow's value for `name`: this turn's input from parameters only, else either."""
        if name in TURN_SIGNALS:
            return self.event.parameters.get(name) or ""
        return self.event.value(name)

    def number(self, name: str, default: float | None) -> float | None:
        raw = self.raw(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            self.problems.append(name)
            return default
        return min(value, MAX_COUNT)

    def flag(self, name: str, default: bool | None) -> Any:
        raw = self.raw(name).lower()
        if not raw:
            return default
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        self.problems.append(name)
        return default

    def choice(self, name: str, options: tuple[str, ...], default: str, *, upper: bool) -> str:
        raw = self.raw(name)
        value = raw.upper() if upper else raw.lower()
        if not raw:
            return default
        if value not in options:
            self.problems.append(name)
            return default
        return value


def _intent(reader: _Reader, rules: RuleSet) -> tuple[str, str, float]:
    lex_intent = reader.raw("intent")
    if lex_intent:
        confidence = reader.number("intentConfidence", 0.0) or 0.0
        if confidence > 1.0:
            reader.problems.append("intentConfidence")
            confidence = 0.0
        return intent_code(lex_intent, rules), "LEX", confidence
    key = reader.raw("menuChoice")
    if key:
        mapped = rules.menu.get(key)
        if mapped is None:
            reader.problems.append("menuChoice")
            return "UNKNOWN", "DTMF", 0.0
        return mapped, "DTMF", 1.0
    return "UNKNOWN", "NONE", 0.0


def intent_code(name: str, rules: RuleSet) -> str:
    """ "CheckOrderStatus", "check order status" → CHECK_ORDER_STATUS → the declared intent or OTHER."""
    code = _NON_WORD.sub("_", _CAMEL.sub("_", name.strip()).upper()).strip("_")
    code = rules.intent_aliases.get(code, code)
    return code if code in rules.intents else "OTHER"


def _asks_for_person(transcript: str) -> bool:
    # Imported with the first transcript: the shipped flows pass none, and its phrase patterns are
    # the largest regular expressions a decision would otherwise compile at every cold start.
    from lambdas.ivr_decision.agent_request import asks_for_person

    return asks_for_person(transcript)


def _caller_type(reader: _Reader, event: ContactEvent) -> str:
    given = event.value("callerType").upper()
    if given in CALLER_TYPES:
        return given
    if given:
        reader.problems.append("callerType")
    endpoint = event.customer_endpoint
    if endpoint is None:
        return "UNKNOWN"
    if endpoint.type != "TELEPHONE_NUMBER":
        return "NON_PHONE"
    if endpoint.address.lower() in _WITHHELD:
        return "WITHHELD"
    digits = endpoint.address.lstrip("+")
    return "PHONE" if digits.isdigit() and len(digits) >= 6 else "INVALID"


def _language(event: ContactEvent) -> str:
    # The call's LanguageCode is the voice the flow speaks with, so it wins over the CRM's preference.
    for raw in (event.language_code, event.value("language")):
        code = raw.strip().lower()[:2]
        if len(code) == 2 and code.isalpha():
            return code
    return ""


def _order(event: ContactEvent) -> Order | None:
    order_id = event.value("latestOrderId")
    if not order_id:
        return None
    status = "_".join(_NON_WORD.sub(" ", event.value("latestOrderStatus").upper()).split())
    return Order(order_id=order_id[:64], status=status, eta=event.value("latestOrderEta")[:32])
