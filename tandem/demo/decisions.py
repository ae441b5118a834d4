"""The demo's second part: callers through crm_lookup then ivr_decision, as a flow chains them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tandem.demo.events import DemoCall, contact_event
from tandem.local import Sandbox
from tandem.local.demo_data import UNKNOWN_NUMBER
from tandem.output import mask_phone

# Decisions are made "as of" fixed moments, so the demo reads the same whenever it runs.
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PERSON_ROUTES = ("AGENT", "CALLBACK")
# What the flow's "Get queue metrics" block would pass: a busy but not overloaded morning.
DEMO_QUEUE_METRICS = {
    "agentsAvailable": "0",
    "agentsStaffed": "6",
    "contactsInQueue": "8",
    "oldestContactAgeSeconds": "240",
}
CHRISTMAS_NY = datetime(2026, 12, 25, 16, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DecisionCall:
    label: str
    number: str
    says: str  # shown in the table: what the caller said or pressed
    parameters: dict[str, str] = field(default_factory=dict)
    language_code: str = "en-US"
    at: datetime = MONDAY_10_NY


DECISION_CALLS = (
    DecisionCall(
        "gold, where is my order",
        "+12025550105",
        '"where is my order"',
        {"intent": "CheckOrderStatus", "intentConfidence": "0.94"},
    ),
    DecisionCall("standard, returns", "+12025550102", "pressed 2", {"menuChoice": "2"}),
    DecisionCall(
        "third call in a day",
        "+12025550101",
        '"where is my order"',
        {"intent": "CheckOrderStatus", "intentConfidence": "0.91"},
    ),
    DecisionCall(
        "VIP complaint, angry",
        "+12025550103",
        '"this is the third time..."',
        {"intent": "Complaint", "intentConfidence": "0.88", "sentiment": "NEGATIVE"},
    ),
    DecisionCall(
        "unknown caller wants a person",
        UNKNOWN_NUMBER,
        '"can I talk to someone"',
        {"intent": "FallbackIntent", "transcript": "can I talk to someone please"},
    ),
    DecisionCall(
        "billing dispute, long queue",
        "+12025550104",
        "pressed 4",
        {"menuChoice": "4", "agentsAvailable": "0", "contactsInQueue": "14", "estimatedWaitSeconds": "1260"},
    ),
    DecisionCall(
        "low confidence", "+12025550102", '"mumble"', {"intent": "ShippingInfo", "intentConfidence": "0.31"}
    ),
    DecisionCall(
        "Vietnamese caller, opening hours",
        "+84912345678",
        '"mấy giờ mở cửa"',
        {"intent": "StoreHours", "intentConfidence": "0.9"},
        language_code="vi-VN",
    ),
    DecisionCall("withheld, Christmas Day", "anonymous", "pressed 0", {"menuChoice": "0"}, at=CHRISTMAS_NY),
)


def run_decisions(box: Sandbox) -> list[dict[str, Any]]:
    results = []
    for index, call in enumerate(DECISION_CALLS, start=101):
        lookup = contact_event(DemoCall(call.label, call.number), index)
        found = box.invoke("crm_lookup", lookup)
        event = contact_event(DemoCall(call.label, call.number), index)
        contact = event["Details"]["ContactData"]
        contact["LanguageCode"] = call.language_code
        # As a flow would: crm_lookup's answer kept as contact attributes, the caller's input as parameters.
        contact["Attributes"] = {k: v for k, v in found.items() if k != "status"} | {
            "crmStatus": found["status"]
        }
        event["Details"]["Parameters"] = dict(call.parameters)
        with box.clock(call.at):
            decision = box.invoke("ivr_decision", event)
            calls = box.last.aws_calls
            handoff = _escalate(box, event, decision) if decision["route"] in PERSON_ROUTES else None
        results.append(
            {
                "scenario": call.label,
                "caller": mask_phone(call.number),
                "says": call.says,
                "response": decision,
                "awsCalls": calls,
                "handoff": handoff,
            }
        )
    return results


def _escalate(box: Sandbox, event: dict[str, Any], decision: dict[str, str]) -> dict[str, str]:
    """As a flow would when a person is needed: the decision's answer kept as attributes too."""
    handoff = json.loads(json.dumps(event))
    attributes = handoff["Details"]["ContactData"]["Attributes"]
    attributes.update({k: v for k, v in decision.items() if k not in ("status", "answer")})
    handoff["Details"]["Parameters"] = dict(DEMO_QUEUE_METRICS)
    return box.invoke("escalation", handoff)


def handoff_rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for result in results:
        h = result["handoff"]
        if h is None:
            continue
        callback = f"yes ({h['callbackReason']})" if h["offerCallback"] == "true" else "no"
        rows.append(
            [
                result["scenario"],
                h["queue"],
                h["priority"],
                h.get("estimatedWaitMinutes", ""),
                callback,
                h["whisper"],
            ]
        )
    return rows


HANDOFF_HEADERS = [
    "scenario",
    "queue",
    "priority",
    "wait min",
    "callback",
    "whisper (what the agent hears first)",
]


def decision_rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for result in results:
        r = result["response"]
        answer = r.get("answer", "")
        rows.append(
            [
                result["scenario"],
                result["says"],
                r["route"],
                r.get("queue", ""),
                r.get("reasons", ""),
                answer if len(answer) <= 60 else answer[:57] + "...",
            ]
        )
    return rows


DECISION_HEADERS = ["scenario", "caller said", "route", "queue", "reasons", "answer"]
