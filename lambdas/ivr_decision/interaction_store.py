"""The decision item: every decision becomes an interaction event, for metrics and for replaying
new rules on old calls.

One item per decision in the Interactions table, under the contact's partition. The item holds
the facts the rules saw — never the transcript, the caller's number, name or customer id — plus
the rule, the variant and experiment it decided in, the route and the revisions of the documents
used, so a replay knows what decided.
The key is derived from the decision itself, so Connect retrying the block overwrites the same
item instead of counting the decision twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lambdas.ivr_decision.decide import Decision, Documents
from lambdas.ivr_decision.signals import DecisionContext
from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.event import ContactEvent
from lambdas.shared.tables import INTERACTIONS

ITEM_TYPE = "DECISION"


def interaction_key(event: ContactEvent, context: DecisionContext) -> dict[str, str]:
    facts = context.facts
    attempt = int(facts["failedAttempts"])
    return {
        INTERACTIONS.partition_key.name: f"CONTACT#{event.correlation_id}",
        INTERACTIONS.sort_key.name: f"{ITEM_TYPE}#{event.contact_id}#{attempt:03d}#{facts['intent']}",  # type: ignore[union-attr]
    }


def interaction_item(
    event: ContactEvent,
    context: DecisionContext,
    decision: Decision,
    documents: Documents,
    *,
    now: datetime,
    ttl_days: int,
) -> dict[str, Any]:
    """The item as plain Python values; `to_dynamodb` types it for the low-level client."""
    return {
        **interaction_key(event, context),
        "type": ITEM_TYPE,
        "contactId": event.contact_id,
        "initialContactId": event.correlation_id,
        "channel": event.channel,
        "decidedAt": now.isoformat(timespec="milliseconds"),
        "route": decision.route.value,
        "ruleId": decision.rule_id,
        "variant": decision.variant,
        "experimentId": decision.experiment_id,
        "reasons": list(decision.reasons),
        "queue": decision.queue,
        "priorityChange": decision.priority_change,
        "context": {k: v for k, v in context.facts.items() if v is not None},
        "signalProblems": list(context.problems),
        "revisions": {
            "rules": documents.rules.revision,
            "content": documents.content.revision,
            "calendar": documents.calendar.revision,
        },
        "sources": dict(documents.sources),
        INTERACTIONS.ttl_attribute or "expiresAt": int((now + timedelta(days=ttl_days)).timestamp()),
    }


def put_interaction(dynamodb: Any, table: str, item: dict[str, Any]) -> None:
    """Write one decision item (an `interaction_item`); a retried block overwrites the same key."""
    dynamodb.put_item(TableName=table, Item=to_dynamodb(item))
