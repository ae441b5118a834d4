"""Shared builders for the IVR decision unit tests: a Connect event as a flow sends it, fixed clocks.

Times are in UTC and chosen for the shipped calendar (America/New_York, Mon-Fri 08:00-18:00,
Sat 09:00-13:00, Christmas / Thanksgiving / New Year / Independence Day closures).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from lambdas.documents.registry import DEFAULTS_DIR, bundled_defaults
from lambdas.ivr_decision.decide import Documents
from lambdas.ivr_decision.signals import DecisionContext, build_context
from lambdas.policy.calendar import Calendar, parse_calendar
from lambdas.shared.event import ContactEvent, parse_contact_event

ZONE = ZoneInfo("America/New_York")

# 2026-11-23 is a Monday; New York is on EST (UTC-5) then.
OPEN_WEEKDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 local
SATURDAY_EVENING = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)  # Saturday 2026-11-28 20:00 local
CHRISTMAS = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)  # Friday 10:00 local, a holiday
THANKSGIVING = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thursday 10:00 local, a holiday

PHONE = "+12025550101"
INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000000"


def contact_event(
    parameters: dict[str, Any] | None = None,
    *,
    channel: str = "VOICE",
    address: str | None = PHONE,
    endpoint_type: str = "TELEPHONE_NUMBER",
    language_code: str = "en-US",
    attributes: dict[str, Any] | None = None,
) -> ContactEvent:
    """A contact-flow event as Connect sends it to an InvokeLambdaFunction block."""
    endpoint = None if address is None else {"Address": address, "Type": endpoint_type}
    raw = {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": attributes or {},
                "Channel": channel,
                "ContactId": "11111111-2222-4333-8444-555555555555",
                "InitialContactId": "11111111-2222-4333-8444-555555555555",
                "InitiationMethod": "INBOUND",
                "InstanceARN": INSTANCE_ARN,
                "LanguageCode": language_code,
                "CustomerEndpoint": endpoint,
                "SystemEndpoint": {"Address": "+18005550199", "Type": "TELEPHONE_NUMBER"},
                "Queue": None,
            },
            "Parameters": parameters or {},
        },
    }
    return parse_contact_event(raw)


def defaults() -> Documents:
    """The documents shipped with the function, exactly as the Lambda serves them before any push."""
    parsed = bundled_defaults()
    return Documents(
        rules=parsed["rules"].value,  # type: ignore[arg-type]
        content=parsed["content"].value,  # type: ignore[arg-type]
        calendar=parsed["calendar"].value,  # type: ignore[arg-type]
        sources=dict.fromkeys(parsed, "bundled"),
    )


def shipped_json(name: str) -> dict[str, Any]:
    """A shipped default document as raw JSON (for building variants of it)."""
    return json.loads((DEFAULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def calendar_with(*closures: dict[str, Any], **fields: Any) -> Calendar:
    """The shipped calendar plus extra closures (e.g. an EMERGENCY one), validated by parse_calendar."""
    document = shipped_json("calendar")
    document["closures"] = [*document["closures"], *closures]
    document.update(fields)
    return parse_calendar(document)


def context_for(
    event: ContactEvent,
    at: datetime = OPEN_WEEKDAY,
    documents: Documents | None = None,
    calendar: Calendar | None = None,
) -> DecisionContext:
    docs = documents or defaults()
    return build_context(event, docs.rules, calendar or docs.calendar, at, ZONE)


CHALLENGER_REVISION = "2026-12-04.challenger"
EXPERIMENT_START = "2026-11-23T00:00:00-05:00"
EXPERIMENT_END = "2026-12-21T00:00:00-05:00"


def challenger_rules() -> dict[str, Any]:
    """The shipped rules with one rule first: opening-hours questions go to a person."""
    rules = shipped_json("rules")
    rules["revision"] = CHALLENGER_REVISION
    rules["rules"].insert(
        0,
        {
            "id": "hours-by-people",
            "when": {"fact": "intent", "eq": "OPENING_HOURS"},
            "action": {"route": "AGENT", "queue": "general"},
            "reason": "HOURS_BY_PEOPLE",
        },
    )
    return rules


def experiment_json(**changes: Any) -> dict[str, Any]:
    """A valid experiment document (the shape of docs and README); `changes` replace experiment fields."""
    experiment = {
        "id": "deflect-2026-12",
        "challenger": challenger_rules(),
        "share": 0.5,
        "start": EXPERIMENT_START,
        "end": EXPERIMENT_END,
        "unit": "caller",
        "primaryMetric": {"metric": "resolutionRate", "better": "higher"},
        "alpha": 0.05,
        "power": 0.8,
        "minimumDetectableEffect": 0.03,
        "guardrails": [
            {"metric": "abandonRate", "better": "lower", "maxWorsening": 0.02},
            {"metric": "recontactRate", "better": "lower", "maxWorsening": 0.03},
            {"metric": "lowCsatShare", "better": "lower", "maxWorsening": 0.05},
        ],
    }
    experiment.update(changes)
    return {
        "kind": "tandem/ivr-experiment",
        "schemaVersion": 1,
        "revision": "2026-12-04.1",
        "description": "Opening hours by people, for half the callers",
        "experiment": experiment,
    }
