"""The survey item: one per contact segment, keyed so a retried block overwrites it.

pk `CONTACT#<initial contact id>` (the contact's partition in the Interactions table, beside its
decisions and handoff), sk `SURVEY#<contact id>`. Connect may run the block up to four times
(1 + 3 retries); each run writes the same key, so a rating is never counted twice.

Only the rating and routing codes are stored: route, queue and intent are kept when they look
like the codes the flow sets (`AGENT`, `general`, `ORDER_STATUS`) and dropped otherwise, so free
text that could carry personal data never reaches the table.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.event import ContactEvent
from lambdas.shared.tables import INTERACTIONS

ITEM_TYPE = "SURVEY"
RATINGS = ("1", "2", "3", "4", "5")
# ivr_decision's routes; survey's asset does not carry that package, so they are listed here.
ROUTES = ("SELF_SERVICE", "AGENT", "CALLBACK", "CLOSED")
QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")


def parse_rating(raw: str) -> int | None:
    """1..5 from exactly one digit; anything else (0, 6, 3.5, words, empty) is None."""
    text = raw.strip()
    return int(text) if text in RATINGS else None


def routing_codes(event: ContactEvent) -> dict[str, str]:
    """route, queue and intent as the flow passed them (or as contact attributes), codes only."""
    route = event.value("route").upper()
    queue = event.value("queue").lower()
    intent = event.value("intent").upper()
    return {
        "route": route if route in ROUTES else "",
        "queue": queue if QUEUE.match(queue) else "",
        "intent": intent if CODE.match(intent) else "",
    }


def survey_key(event: ContactEvent) -> dict[str, str]:
    return {
        INTERACTIONS.partition_key.name: f"CONTACT#{event.correlation_id}",
        INTERACTIONS.sort_key.name: f"{ITEM_TYPE}#{event.contact_id}",  # type: ignore[union-attr]
    }


def survey_item(
    event: ContactEvent, csat: int, codes: dict[str, str], *, now: datetime, ttl_days: int
) -> dict[str, Any]:
    """The item as plain Python values; `to_dynamodb` types it for the low-level client."""
    return {
        **survey_key(event),
        "type": ITEM_TYPE,
        "contactId": event.contact_id,
        "initialContactId": event.correlation_id,
        "channel": event.channel,
        "csat": csat,
        **codes,
        "surveyedAt": now.isoformat(timespec="milliseconds"),
        INTERACTIONS.ttl_attribute or "expiresAt": int((now + timedelta(days=ttl_days)).timestamp()),
    }
