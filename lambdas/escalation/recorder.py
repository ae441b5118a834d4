"""Recording a handoff exactly once, and claiming a callback only when the caller takes it.

The handoff item is keyed by the contact (`HANDOFF#<contact id>`), so Connect retrying the block
overwrites it instead of adding a second. A callback claim holds the caller's number for the
de-duplication window; it is keyed by the keyed hash of the E.164 number (`lambdas.shared.keyed_hash`,
purpose `callback`), never the number itself nor a plain hash anyone could recompute.

- Offering (`record_handoff` with `check_claim`): the same `TransactWriteItems` that writes the
  handoff checks (ConditionCheck, no write) that no other contact holds an unexpired claim. When
  one does, the handoff is written alone, marked `callbackPending`, and no callback is offered.
  Nothing is claimed here: a caller who declines the offer leaves nothing behind, so the next call
  is offered one again.
- Taking it (`claim_callback`, when the caller presses 1): a conditional Put claims the number, and
  succeeds when it is free, expired or already this contact's (a retried block). Two contacts
  racing for the same number: one claim wins, the other is told a callback is already booked.
- Without the key (Secrets Manager unavailable), the handler offers the callback unchecked
  (`unchecked_offer`): the handoff is written alone, and the offer stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.keyed_hash import CALLBACK, KeyedHasher
from lambdas.shared.tables import INTERACTIONS

PK, SK = INTERACTIONS.partition_key.name, INTERACTIONS.sort_key.name  # type: ignore[union-attr]
TTL = INTERACTIONS.ttl_attribute or "expiresAt"
CLAIM_SK = "CALLBACK_CLAIM"


@dataclass(frozen=True)
class RecordOutcome:
    recorded: bool
    callback_available: bool  # no other contact holds a claim: a callback may be offered
    callback_pending: bool  # another contact already holds a claim for this number
    calls: int  # AWS calls made


# Free, expired (TTL deletion lags), or this contact's own (an earlier attempt of the same block).
_CLAIM_FREE = "attribute_not_exists(#pk) OR #ttl < :now OR contactId = :me"


def _claim_condition(contact_id: str, now: datetime) -> dict[str, Any]:
    return {
        "ConditionExpression": _CLAIM_FREE,
        "ExpressionAttributeNames": {"#pk": PK, "#ttl": TTL},
        "ExpressionAttributeValues": {":now": {"N": str(int(now.timestamp()))}, ":me": {"S": contact_id}},
    }


def claim_key(hasher: KeyedHasher, e164: str) -> dict[str, str]:
    return {PK: f"CALLBACK#{hasher.digest(CALLBACK, e164)}", SK: CLAIM_SK}


def handoff_key(initial_contact_id: str, contact_id: str) -> dict[str, str]:
    return {PK: f"CONTACT#{initial_contact_id}", SK: f"HANDOFF#{contact_id}"}


def record_handoff(
    dynamodb: Any,
    table: str,
    item: Mapping[str, Any],
    *,
    contact_id: str,
    check_claim: Mapping[str, str] | None,
    now: datetime,
    unchecked_offer: bool = False,
) -> RecordOutcome:
    """Write the handoff; with `check_claim` (a `claim_key`), check in the same transaction that
    no claim blocks it. Without it the handoff is written alone, and a callback is available only
    when `unchecked_offer` says one is offered without the check."""
    if check_claim is None:
        dynamodb.put_item(TableName=table, Item=to_dynamodb(item))
        return RecordOutcome(
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
                        **_claim_condition(contact_id, now),
                    }
                },
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException as error:
        if not _claim_refused(error):
            raise
        pending = {**item, "callbackOffered": False, "callbackPending": True}
        dynamodb.put_item(TableName=table, Item=to_dynamodb(pending))
        return RecordOutcome(recorded=True, callback_available=False, callback_pending=True, calls=2)
    return RecordOutcome(recorded=True, callback_available=True, callback_pending=False, calls=1)


def claim_callback(
    dynamodb: Any,
    table: str,
    *,
    contact_id: str,
    key: Mapping[str, str],
    now: datetime,
    window: timedelta,
) -> bool:
    """Claim the number (`key`, its `claim_key`) for a callback this contact takes; False when
    another contact holds it."""
    claim = {
        **key,
        "type": "CALLBACK_CLAIM",
        "contactId": contact_id,
        "claimedAt": now.isoformat(timespec="seconds"),
        TTL: int((now + window).timestamp()),
    }
    try:
        dynamodb.put_item(TableName=table, Item=to_dynamodb(claim), **_claim_condition(contact_id, now))
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _claim_refused(error: Any) -> bool:
    """Only the claim's condition failing means "someone else has it"; anything else is a failure."""
    reasons = error.response.get("CancellationReasons") or []
    codes = [r.get("Code", "None") for r in reasons]
    return len(codes) == 2 and codes[0] in ("None", "") and codes[1] == "ConditionalCheckFailed"
