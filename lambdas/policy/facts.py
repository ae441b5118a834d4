"""The facts a condition can test: one catalogue, and the view of it each document compiles against.

Every fact is defined once, with its type, its enumeration and whether it may be unknown. The
IVR rules test what ivr_decision knows about the caller (`DECISION_FACTS`, built by
`ivr_decision/signals.py`); the escalation policy tests the decision's answer and what the flow
passed on (`HANDOFF_FACTS`, built by `escalation/context.py`). A rule naming a fact outside its
document's view, comparing it with the wrong type or with a value outside its enumeration is
rejected when the document is loaded, not when a caller hits it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import NamedTuple

from lambdas.shared.event import CHANNELS as CONTACT_CHANNELS


class Route(StrEnum):
    """ivr_decision's answer: a rule's action, and a fact the escalation policy tests."""

    SELF_SERVICE = "SELF_SERVICE"
    AGENT = "AGENT"
    CALLBACK = "CALLBACK"
    CLOSED = "CLOSED"


class FactType(Enum):
    TEXT = "text"
    NUMBER = "number"
    FLAG = "flag"
    LIST = "list"  # a set of codes, tested with `has`


class Fact(NamedTuple):
    name: str
    type: FactType
    description: str
    values: frozenset[str] | None = None  # closed enumeration for TEXT facts, when there is one
    nullable: bool = False  # may be unknown (None): every comparison with an unknown value is false


def _fact(
    name: str,
    kind: FactType,
    description: str,
    values: tuple[str, ...] | None = None,
    *,
    nullable: bool = False,
) -> Fact:
    return Fact(name, kind, description, frozenset(values) if values else None, nullable)


TEXT, NUMBER, FLAG, LIST = FactType.TEXT, FactType.NUMBER, FactType.FLAG, FactType.LIST
SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED", "UNKNOWN")
CHANNELS = (*CONTACT_CHANNELS, "UNKNOWN")
TIERS = ("standard", "gold", "vip")
HOURS = ("OPEN", "AFTER_HOURS", "HOLIDAY", "EMERGENCY")
INTENT_SOURCES = ("LEX", "DTMF", "NONE")
CALLER_TYPES = ("PHONE", "WITHHELD", "NON_PHONE", "INVALID", "UNKNOWN")

FACTS: Mapping[str, Fact] = MappingProxyType(
    {
        f.name: f
        for f in (
            # The caller and the call
            _fact(
                "intent", TEXT, "what the caller wants; in the rules, one of the rule set's declared intents"
            ),
            _fact("intentSource", TEXT, "where the intent came from", INTENT_SOURCES),
            _fact("confidence", NUMBER, "intent confidence 0..1 (DTMF choices are 1); 0 when unknown"),
            _fact("asksForAgent", FLAG, "the caller asked for a person (words, intent or menu key)"),
            _fact("sentiment", TEXT, "Lex sentiment label", SENTIMENTS),
            _fact(
                "failedAttempts",
                NUMBER,
                "self-service attempts that did not resolve the call; 0 when unknown",
            ),
            _fact("channel", TEXT, "contact channel", CHANNELS),
            _fact("language", TEXT, "two-letter language of the call, e.g. en or vi"),
            _fact("callerType", TEXT, "what the caller's address is", CALLER_TYPES),
            _fact("callbackPossible", FLAG, "a voice call from a real phone number: a callback can reach it"),
            # What the CRM knows
            _fact("customerFound", FLAG, "the CRM lookup identified the caller"),
            _fact("crmDegraded", FLAG, "the CRM lookup answered DEGRADED"),
            _fact("tier", TEXT, "customer tier; standard when unknown", TIERS),
            _fact("recentContacts72h", NUMBER, "the caller's earlier contacts in the last 72 hours"),
            _fact("openComplaints", NUMBER, "the caller's open complaints"),
            _fact("hasOpenOrder", FLAG, "the CRM knows a latest order for the caller"),
            _fact(
                "latestOrderStatus", TEXT, "status code of the latest order, e.g. SHIPPED; empty when none"
            ),
            _fact(
                "lastCsat",
                NUMBER,
                "the caller's most recent CSAT score 1-5; unknown when not passed",
                nullable=True,
            ),
            # The queue and the hours
            _fact(
                "agentsAvailable",
                NUMBER,
                "agents available in the queue; unknown when not passed",
                nullable=True,
            ),
            _fact(
                "contactsInQueue",
                NUMBER,
                "contacts waiting in the queue; unknown when not passed",
                nullable=True,
            ),
            _fact(
                "oldestContactAgeSeconds",
                NUMBER,
                "age of the oldest waiting contact; unknown when not passed",
                nullable=True,
            ),
            _fact(
                "estimatedWaitSeconds",
                NUMBER,
                "estimated wait in the queue; unknown when not known",
                nullable=True,
            ),
            _fact("queueMetricsKnown", FLAG, "the flow passed at least one queue metric"),
            _fact("hours", TEXT, "OPEN, or why people are not available now", HOURS),
            _fact("isOpen", FLAG, "people are available now"),
            _fact(
                "minutesUntilClose", NUMBER, "minutes until people leave; unknown when closed", nullable=True
            ),
            # ivr_decision's answer, as escalation receives it
            _fact("route", TEXT, "the decision's route", tuple(Route)),
            _fact("reasons", LIST, "the decision's reason codes"),
            _fact("queueHint", TEXT, "the queue the decision suggested; empty when none"),
            _fact("decisionPriorityChange", NUMBER, "the decision's priorityChange (positive = more urgent)"),
        )
    }
)


def _view(*names: str) -> Mapping[str, Fact]:
    return MappingProxyType({name: FACTS[name] for name in names})


# What the IVR rules may test: everything ivr_decision's context builder knows.
DECISION_FACTS = _view(
    "intent", "intentSource", "confidence", "asksForAgent", "sentiment", "failedAttempts",
    "customerFound", "crmDegraded", "tier", "recentContacts72h", "openComplaints", "hasOpenOrder",
    "latestOrderStatus", "channel", "language", "callerType", "callbackPossible", "agentsAvailable",
    "contactsInQueue", "oldestContactAgeSeconds", "estimatedWaitSeconds", "queueMetricsKnown",
    "hours", "isOpen",
)  # fmt: skip
# What the escalation policy may test: the decision's answer and what the flow passed on.
HANDOFF_FACTS = _view(
    "route", "reasons", "queueHint", "decisionPriorityChange", "intent", "sentiment",
    "asksForAgent", "failedAttempts", "tier", "customerFound", "recentContacts72h",
    "openComplaints", "lastCsat", "channel", "callerType", "callbackPossible", "hours",
    "minutesUntilClose", "estimatedWaitSeconds",
)  # fmt: skip
