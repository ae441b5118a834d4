"""The survey rating item: one per contact segment, keyed so a retried block overwrites it.

pk `CONTACT#<initial contact id>` (the contact's partition in the Interactions table, beside its
decisions and handoff), sk `SURVEY#<contact id>`. Connect may run the block up to four times
(1 + 3 retries); each run writes the same key, so a rating is never counted twice.

Only the rating and routing codes are stored (`lambdas.survey.rating`), so free text that could
carry personal data never reaches the table.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.event import ContactEvent
from lambdas.shared.tables import INTERACTIONS

ITEM_TYPE = "SURVEY"


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


def put_rating(dynamodb: Any, table: str, item: dict[str, Any]) -> None:
    """Write one rating (a `survey_item`); a retried block overwrites the same key."""
    dynamodb.put_item(TableName=table, Item=to_dynamodb(item))
