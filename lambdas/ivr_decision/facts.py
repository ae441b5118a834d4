"""The facts a rule can test: one catalogue shared by the context builder and the rule validator.

A rule naming a fact that is not here, comparing it with the wrong type or with a value outside
its enumeration is rejected when the rule set is loaded, not when a caller hits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lambdas.shared.event import CHANNELS as CONTACT_CHANNELS


class FactType(Enum):
    TEXT = "text"
    NUMBER = "number"
    FLAG = "flag"
    LIST = "list"  # a set of codes, tested with `has`


@dataclass(frozen=True)
class Fact:
    name: str
    type: FactType
    description: str
    values: frozenset[str] | None = None  # closed enumeration for TEXT facts, when there is one


def _fact(name: str, kind: FactType, description: str, values: tuple[str, ...] | None = None) -> Fact:
    return Fact(name, kind, description, frozenset(values) if values else None)


TEXT, NUMBER, FLAG = FactType.TEXT, FactType.NUMBER, FactType.FLAG
SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED", "UNKNOWN")
CHANNELS = (*CONTACT_CHANNELS, "UNKNOWN")
TIERS = ("standard", "gold", "vip")
HOURS = ("OPEN", "AFTER_HOURS", "HOLIDAY", "EMERGENCY")
INTENT_SOURCES = ("LEX", "DTMF", "NONE")
CALLER_TYPES = ("PHONE", "WITHHELD", "NON_PHONE", "INVALID", "UNKNOWN")

CATALOGUE: dict[str, Fact] = {
    f.name: f
    for f in (
        _fact("intent", TEXT, "what the caller wants; one of the rule set's declared intents"),
        _fact("intentSource", TEXT, "where the intent came from", INTENT_SOURCES),
        _fact("confidence", NUMBER, "intent confidence 0..1 (DTMF choices are 1); 0 when unknown"),
        _fact("asksForAgent", FLAG, "the caller asked for a person (words, intent or menu key)"),
        _fact("sentiment", TEXT, "Lex sentiment label", SENTIMENTS),
        _fact(
            "failedAttempts", NUMBER, "self-service attempts that did not resolve the call; 0 when unknown"
        ),
        _fact("customerFound", FLAG, "the CRM lookup identified the caller"),
        _fact("crmDegraded", FLAG, "the CRM lookup answered DEGRADED"),
        _fact("tier", TEXT, "customer tier; standard when unknown", TIERS),
        _fact("recentContacts72h", NUMBER, "the caller's earlier contacts in the last 72 hours"),
        _fact("openComplaints", NUMBER, "the caller's open complaints"),
        _fact("hasOpenOrder", FLAG, "the CRM knows a latest order for the caller"),
        _fact("latestOrderStatus", TEXT, "status code of the latest order, e.g. SHIPPED; empty when none"),
        _fact("channel", TEXT, "contact channel", CHANNELS),
        _fact("language", TEXT, "two-letter language of the call, e.g. en or vi"),
        _fact("callerType", TEXT, "what the caller's address is", CALLER_TYPES),
        _fact("callbackPossible", FLAG, "a voice call from a real phone number: a callback can reach it"),
        _fact("agentsAvailable", NUMBER, "agents available in the queue; unknown when not passed"),
        _fact("contactsInQueue", NUMBER, "contacts waiting in the queue; unknown when not passed"),
        _fact(
            "oldestContactAgeSeconds", NUMBER, "age of the oldest waiting contact; unknown when not passed"
        ),
        _fact("estimatedWaitSeconds", NUMBER, "estimated wait; unknown when not passed"),
        _fact("queueMetricsKnown", FLAG, "the flow passed at least one queue metric"),
        _fact("hours", TEXT, "OPEN, or why people are not available now", HOURS),
        _fact("isOpen", FLAG, "people are available now"),
    )
}

# Facts that may be unknown (None): every comparison with an unknown value is false.
NULLABLE = frozenset(
    {"agentsAvailable", "contactsInQueue", "oldestContactAgeSeconds", "estimatedWaitSeconds"}
)
