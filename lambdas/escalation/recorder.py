"""Recording a handoff — and claiming its callback — exactly once, in one write.

The handoff item is keyed by the contact (`HANDOFF#<contact id>`), so Connect retrying the block
overwrites it instead of adding a second. When a callback is offered, the same
`TransactWriteItems` also claims the caller's number for the de-duplication window: the claim is
keyed by a hash of the E.164 number (never the number itself) and succeeds only when no other
contact holds an unexpired claim. A retry of the same contact finds its own claim and succeeds
again, so it neither records twice nor offers a second callback. When another contact holds the
claim, the handoff is written alone, marked `callbackPending`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.tables import INTERACTIONS

PK, SK = INTERACTIONS.partition_key.name, INTERACTIONS.sort_key.name  # type: ignore[union-attr]
TTL = INTERACTIONS.ttl_attribute or "expiresAt"
CLAIM_SK = "CALLBACK_CLAIM"


@dataclass(frozen=True)
class RecordOutcome:
    recorded: bool
    callback_claimed: bool  # this contact holds the callback claim (first time or on a retry)
    callback_pending: bool  # another contact already holds a claim for this number
    calls: int  # AWS calls made


def claim_key(e164: str) -> dict[str, str]:
    digest = hashlib.sha256(f"tandem-callback|{e164}".encode()).hexdigest()
    return {PK: f"CALLBACK#{digest}", SK: CLAIM_SK}


def handoff_key(initial_contact_id: str, contact_id: str) -> dict[str, str]:
    return {PK: f"CONTACT#{initial_contact_id}", SK: f"HANDOFF#{contact_id}"}


def record_handoff(
    dynamodb: Any,
    table: str,
    item: Mapping[str, Any],
    *,
    contact_id: str,
    claim_number: str,
    now: datetime,
    window: timedelta,
) -> RecordOutcome:
    """Write the handoff; with `claim_number`, claim the callback in the same transaction."""
    if not claim_number:
        dynamodb.put_item(TableName=table, Item=to_dynamodb(item))
        return RecordOutcome(recorded=True, callback_claimed=False, callback_pending=False, calls=1)
    claim = {
        **claim_key(claim_number),
        "type": "CALLBACK_CLAIM",
        "contactId": contact_id,
        "claimedAt": now.isoformat(timespec="seconds"),
        TTL: int((now + window).timestamp()),
    }
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": to_dynamodb(item)}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_dynamodb(claim),
                        # Free, expired (TTL deletion lags), or ours from an earlier attempt of this block.
                        "ConditionExpression": "attribute_not_exists(#pk) OR #ttl < :now OR contactId = :me",
                        "ExpressionAttributeNames": {"#pk": PK, "#ttl": TTL},
                        "ExpressionAttributeValues": {
                            ":now": {"N": str(int(now.timestamp()))},
                            ":me": {"S": contact_id},
                        },
                    }
                },
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException as error:
        if not _claim_refused(error):
            raise
        pending = {**item, "callbackOffered": False, "callbackPending": True}
        dynamodb.put_item(TableName=table, Item=to_dynamodb(pending))
        return RecordOutcome(recorded=True, callback_claimed=False, callback_pending=True, calls=2)
    return RecordOutcome(recorded=True, callback_claimed=True, callback_pending=False, calls=1)


def _claim_refused(error: Any) -> bool:
    """Only the claim's condition failing means "someone else has it"; anything else is a failure."""
    reasons = error.response.get("CancellationReasons") or []
    codes = [r.get("Code", "None") for r in reasons]
    return len(codes) == 2 and codes[0] in ("None", "") and codes[1] == "ConditionalCheckFailed"
