"""The embedded CRM: customers in DynamoDB, found by phone in a single Query.

Every item of a customer's partition (profile, orders, complaints, recent contacts) carries the
customer's `phone`, so a Query on the `byPhone` index returns the whole customer at once: one
AWS call per cache miss.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.crm_lookup.model import CrmUnavailable, CustomerRecord, Order, normalise_tier
from lambdas.shared.budget import Deadline
from lambdas.shared.tables import COMPLAINT_PREFIX, CONTACT_PREFIX, CUSTOMERS, ORDER_PREFIX, PROFILE_SK

PHONE_INDEX = CUSTOMERS.indexes[0].name


class DynamoDbCrmAdapter:
    name = "dynamodb"

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def find_by_phone(self, e164: str, deadline: Deadline) -> CustomerRecord | None:
        try:
            page = self._client.query(
                TableName=self._table_name,
                IndexName=PHONE_INDEX,
                KeyConditionExpression="phone = :phone",
                ExpressionAttributeValues={":phone": {"S": e164}},
            )
        except (ClientError, BotoCoreError) as error:
            raise CrmUnavailable(f"customers query failed: {_error_code(error)}") from error
        if not isinstance(page.get("Items"), list):
            # A garbled reply must not pass for "no such caller": it is a CRM failure.
            raise CrmUnavailable("customers query answered without Items (malformed reply)")
        items = [_plain(item) for item in page["Items"]]
        return record_from_items(items)


def record_from_items(items: list[dict[str, Any]]) -> CustomerRecord | None:
    """Assemble one customer from its items; None when there is no profile."""
    profiles = sorted((i for i in items if i.get("sk") == PROFILE_SK), key=lambda i: str(i.get("pk")))
    if not profiles:
        return None
    # A shared household number can match several customers: the oldest profile id wins, so the
    # answer is stable between calls.
    profile = profiles[0]
    mine = [i for i in items if i.get("pk") == profile.get("pk")]
    orders = sorted(
        (i for i in mine if str(i.get("sk", "")).startswith(ORDER_PREFIX)),
        key=lambda i: (str(i.get("placedAt", "")), str(i.get("sk"))),
    )
    latest = orders[-1] if orders else None
    return CustomerRecord(
        customer_id=str(profile.get("customerId") or str(profile["pk"]).split("#", 1)[-1]),
        first_name=str(profile.get("firstName", "")),
        tier=normalise_tier(profile.get("tier")),
        language=str(profile.get("language", "")),
        latest_order=(
            Order(
                order_id=str(latest.get("orderId", "")),
                status=str(latest.get("status", "")),
                placed_at=str(latest.get("placedAt", "")),
                eta=str(latest.get("eta", "")),
            )
            if latest
            else None
        ),
        open_complaints=sum(
            1
            for i in mine
            if str(i.get("sk", "")).startswith(COMPLAINT_PREFIX)
            and str(i.get("status", "")).upper() == "OPEN"
        ),
        contact_times=tuple(
            moment
            for i in mine
            if str(i.get("sk", "")).startswith(CONTACT_PREFIX)
            and (moment := _instant(i.get("at"))) is not None
        ),
    )


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """Low-level attribute values to plain Python (strings and numbers only are used)."""
    plain: dict[str, Any] = {}
    for key, value in item.items():
        if "S" in value:
            plain[key] = value["S"]
        elif "N" in value:
            plain[key] = float(value["N"]) if "." in value["N"] else int(value["N"])
        elif "BOOL" in value:
            plain[key] = bool(value["BOOL"])
    return plain


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
