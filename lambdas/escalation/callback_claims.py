"""The callback de-duplication claim: one caller's number held by one contact for a while.

A claim is keyed by the keyed hash of the E.164 number (`lambdas.shared.keyed_hash`, purpose
`callback`), never the number itself nor a plain hash anyone could recompute, and expires after the
policy's de-duplication window.

- Taking a callback (`put_claim`, when the caller presses 1): a conditional Put claims the number,
  and succeeds when it is free, expired or already this contact's (a retried block). Two contacts
  racing for the same number: one claim wins, the other is told a callback is already booked.
- Offering one: the handoff's write checks the same condition (`claim_condition`) in its
  transaction (`lambdas.escalation.handoff_store`), so a number already claimed is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.keyed_hash import CALLBACK, KeyedHasher
from lambdas.shared.tables import INTERACTIONS

PK, SK = INTERACTIONS.partition_key.name, INTERACTIONS.sort_key.name  # type: ignore[union-attr]
TTL = INTERACTIONS.ttl_attribute or "expiresAt"
CLAIM_SK = "CALLBACK_CLAIM"

# Free, expired (TTL deletion lags), or this contact's own (an earlier attempt of the same block).
_CLAIM_FREE = "attribute_not_exists(#pk) OR #ttl < :now OR contactId = :me"


def claim_key(hasher: KeyedHasher, e164: str) -> dict[str, str]:
    return {PK: f"CALLBACK#{hasher.digest(CALLBACK, e164)}", SK: CLAIM_SK}


def claim_condition(contact_id: str, now: datetime) -> dict[str, Any]:
    """The condition under which `contact_id` may hold the claim at `now`."""
    return {
        "ConditionExpression": _CLAIM_FREE,
        "ExpressionAttributeNames": {"#pk": PK, "#ttl": TTL},
        "ExpressionAttributeValues": {":now": {"N": str(int(now.timestamp()))}, ":me": {"S": contact_id}},
    }


def put_claim(
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
        dynamodb.put_item(TableName=table, Item=to_dynamodb(claim), **claim_condition(contact_id, now))
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True
