"""Helpers shared by the benchmarks: the repository root and output."""

from __future__ import annotations

import random
from pathlib import Path

from lambdas.shared.event import ContactEvent, parse_contact_event
from tandem.demo.events import DemoCall, contact_event

REPO = Path(__file__).resolve().parent.parent


def verdict(value: float, budget: float) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def heading(text: str) -> None:
    print(f"\n== {text} ==")


def decision_events(
    count: int, *, order_statuses: tuple[str, ...], eta: str | None = None
) -> list[ContactEvent]:
    """`count` seeded ivr_decision events: varied intents, sentiment, tier and queue figures."""
    chooser = random.Random(7)
    intents = [
        "OrderStatus",
        "Returns",
        "StoreHours",
        "Complaint",
        "CancelOrder",
        "BillingDispute",
        "Gibberish",
    ]
    events = []
    for index in range(count):
        raw = contact_event(DemoCall("bench", "+12025550101"), index)
        raw["Details"]["Parameters"] = {
            "intent": chooser.choice(intents),
            "intentConfidence": f"{chooser.uniform(0.3, 1.0):.2f}",
            "sentiment": chooser.choice(["POSITIVE", "NEUTRAL", "NEGATIVE", "MIXED"]),
            "failedAttempts": str(chooser.randint(0, 3)),
            "tier": chooser.choice(["standard", "gold", "vip"]),
            "recentContacts72h": str(chooser.randint(0, 3)),
            "contactsInQueue": str(chooser.randint(0, 150)),
            "agentsAvailable": str(chooser.randint(0, 5)),
            "customerFound": "true",
            "latestOrderId": "1042",
            "latestOrderStatus": chooser.choice(order_statuses),
            **({"latestOrderEta": eta} if eta else {}),
            "transcript": chooser.choice(["", "where is my parcel", "I want to talk to someone"]),
        }
        events.append(parse_contact_event(raw))
    return events
