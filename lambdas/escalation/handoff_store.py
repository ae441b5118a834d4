"""The handoff item: one per contact segment in the Interactions table, written exactly once.

The item is keyed by the contact (`HANDOFF#<contact id>`), so Connect retrying the block
overwrites it instead of adding a second. It holds the reasons, queue, priority, callback decision
and facts — never the caller's name or number.

Offering a callback (`record_handoff` with `check_claim`): the same `TransactWriteItems` that
writes the handoff checks (ConditionCheck, no write) that no other contact holds an unexpired
callback claim (`lambdas.escalation.callback_claims`). When one does, the handoff is written alone,
marked `callbackPending`, and no callback is offered. Nothing is claimed here: a caller who
declines the offer leaves nothing behind, so the next call is offered one again. Without the
claim's key (Secrets Manager unavailable), the handler offers the callback unchecked
(`unchecked_offer`): the handoff is written alone, and the offer stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from lambdas.escalation.callback_claims import claim_condition
from lambdas.escalation.plan import HandoffPlan
from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.event import ContactEvent
from lambdas.shared.tables import INTERACTIONS

PK, SK = INTERACTIONS.partition_key.name, INTERACTIONS.sort_key.name  # type: ignore[union-attr]
TTL = INTERACTIONS.ttl_attribute or "expiresAt"
ITEM_TYPE = "HANDOFF"


class HandoffWrite(NamedTuple):
    recorded: bool
    callback_available: bool  # no other contact holds a claim: a callback may be offered
    callback_pending: bool  # another contact already holds a claim for this number
    calls: int  # AWS calls made


NOT_WRITTEN = HandoffWrite(recorded=False, callback_available=False, callback_pending=False, calls=0)


def handoff_key(initial_contact_id: str, contact_id: str) -> dict[str, str]:
    return {PK: f"CONTACT#{initial_contact_id}", SK: f"{ITEM_TYPE}#{contact_id}"}


def handoff_item(
    event: ContactEvent, plan: HandoffPlan, *, policy_revision: str, now: datetime, ttl_days: int
) -> dict[str, Any]:
    """The handoff as stored: reasons, queue, priority, callback decision, facts — no name, no number."""
    facts = plan.context.facts
    stored_facts = {
        k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in facts.items() if v is not None
    }
    return {
        **handoff_key(event.correlation_id, event.contact_id),
        "type": ITEM_TYPE,
        "contactId": event.contact_id,
        "initialContactId": event.correlation_id,
        "decidedAt": now.isoformat(timespec="milliseconds"),
        "queue": plan.queue.queue,
        "queueReason": plan.queue.reason,
        "priority": plan.priority.priority,
        "priorityReasons": list(plan.priority.reasons),
        "reasons": list(plan.context.reasons),
        "callbackWanted": plan.callback.wanted,
        "callbackReason": plan.callback.reason,
        "callbackOffered": plan.offers_callback,
        "callbackPending": False,
        "waitSeconds": plan.wait_seconds,
        "waitSource": plan.wait_source,
        "context": stored_facts,
        "policyRevision": policy_revision,
        TTL: int((now + timedelta(days=ttl_days)).timestamp()),
    }


def record_handoff(
    dynamodb: Any,
    table: str,
    item: Mapping[str, Any],
    *,
    contact_id: str,
    check_claim: Mapping[str, str] | None,
    now: datetime,
    unchecked_offer: bool = False,
) -> HandoffWrite:
    """Write the handoff; with `check_claim` (a `claim_key`), check in the same transaction that
    no claim blocks it. Without it the handoff is written alone, and a callback is available only
    when `unchecked_offer` says one is offered without the check."""
    if check_claim is None:
        dynamodb.put_item(TableName=table, Item=to_dynamodb(item))
        return HandoffWrite(
            recorded=True, callback_available=unchecked_offer, callback_pending=False, calls=1
        )
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": to_dynamodb(item)}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": to_dynamodb(dict(check_claim)),
                        **claim_condition(contact_id, now),
                    }
                },
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException as error:
        if not _claim_refused(error):
            raise
        pending = {**item, "callbackOffered": False, "callbackPending": True}
        dynamodb.put_item(TableName=table, Item=to_dynamodb(pending))
        return HandoffWrite(recorded=True, callback_available=False, callback_pending=True, calls=2)
    return HandoffWrite(recorded=True, callback_available=True, callback_pending=False, calls=1)


def _claim_refused(error: Any) -> bool:
    """Only the claim's condition failing means "someone else has it"; anything else is a failure."""
    reasons = error.response.get("CancellationReasons") or []
    codes = [r.get("Code", "None") for r in reasons]
    return len(codes) == 2 and codes[0] in ("None", "") and codes[1] == "ConditionalCheckFailed"
