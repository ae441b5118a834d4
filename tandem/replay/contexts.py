"""The stored decisions a replay decides again: DECISION items of the Interactions table.

ivr_decision stores every decision (`lambdas/ivr_decision/interaction_store.py`): the facts the rules
saw (unknown ones left out), the route, rule, reasons and queue, and when it decided. This module reads
them back into `StoredDecision`s, each with a `DecisionContext` `decide` takes as it is. An item that
cannot be decided again (stored by an older version without a fact the rules now test, or damaged)
becomes a `NotReplayable` with a one-line reason; reading never raises on an item's contents.

The table has no index by date, so a range is one Scan filtered on the item type; the days are the
centre's days (`zone`). Items carry no personal data (no number, name, customer id or transcript), and
nothing here adds any.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeDeserializer

from lambdas.ivr_decision.interaction_store import ITEM_TYPE
from lambdas.ivr_decision.signals import DecisionContext
from lambdas.policy.content import Order
from lambdas.policy.facts import DECISION_FACTS, Fact, FactType, Route

# A stored context holds the order's status, never its id or date (they are not rule facts): the
# rebuilt order carries this id, so the answer is chosen on the same path (an order, not "no order").
STORED_ORDER_ID = "stored"
_DESERIALIZER = TypeDeserializer()


@dataclass(frozen=True)
class StoredDecision:
    """One stored decision: its key, what it decided, and the context to decide it again with."""

    initial_contact_id: str
    contact_id: str
    sort_key: str
    decided_at: datetime
    route: str
    rule_id: str
    reasons: tuple[str, ...]
    queue: str
    rules_revision: str
    context: DecisionContext
    variant: str = "champion"  # "challenger": an experiment's challenger rules decided it


@dataclass(frozen=True)
class NotReplayable:
    key: str  # the item's sort key (`DECISION#<contact id>#...`): no personal data
    reason: str


@dataclass
class StoredDecisions:
    decisions: list[StoredDecision] = field(default_factory=list)
    not_replayable: list[NotReplayable] = field(default_factory=list)
    items_read: int = 0
    pages: int = 0


class ItemProblem(ValueError):
    """Why one stored item cannot be decided again; the message is one line."""


def read_decisions(
    dynamodb: Any,
    table: str,
    days: tuple[date, date] | None,
    zone: ZoneInfo,
    *,
    page_size: int | None = None,
) -> StoredDecisions:
    """Every stored decision made on the days from `days[0]` to `days[1]` (the centre's days in
    `zone`), or every one stored when `days` is None, oldest first."""
    window = _window(days, zone)
    result = StoredDecisions()
    for item in _scan(dynamodb, table, result, page_size):
        result.items_read += 1
        try:
            decision = stored_decision(item)
        except ItemProblem as problem:
            result.not_replayable.append(NotReplayable(_text(item.get("sk")), str(problem)))
            continue
        if window is None or window[0] <= decision.decided_at < window[1]:
            result.decisions.append(decision)
    result.decisions.sort(key=lambda d: (d.decided_at, d.initial_contact_id, d.sort_key))
    return result


def _window(days: tuple[date, date] | None, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if days is None:
        return None
    first, last = days
    return (
        datetime.combine(first, time(), zone),
        datetime.combine(last + timedelta(days=1), time(), zone),
    )


def _scan(dynamodb: Any, table: str, result: StoredDecisions, page_size: int | None) -> Iterator[Any]:
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#type = :decision",
        "ExpressionAttributeNames": {"#type": "type"},
        "ExpressionAttributeValues": {":decision": {"S": ITEM_TYPE}},
    }
    if page_size:
        request["Limit"] = page_size
    while True:
        page = dynamodb.scan(**request)
        result.pages += 1
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stored_decision(raw: Mapping[str, Any]) -> StoredDecision:
    """One DECISION item (the low-level client's typed form) as a `StoredDecision`; ItemProblem when
    it cannot be decided again."""
    try:
        item = {key: _DESERIALIZER.deserialize(value) for key, value in raw.items()}
    except (TypeError, ValueError, KeyError, AttributeError):
        raise ItemProblem("not a DynamoDB item") from None
    decided_at = _decided_at(item.get("decidedAt"))
    route = _text(item.get("route"))
    if route not in Route.__members__:
        raise ItemProblem(f"route {route!r} is not one of {', '.join(Route)}")
    context = item.get("context")
    if not isinstance(context, dict):
        raise ItemProblem("no stored context")
    reasons = item.get("reasons")
    revisions = item.get("revisions")
    return StoredDecision(
        initial_contact_id=_required(item, "initialContactId"),
        contact_id=_required(item, "contactId"),
        sort_key=_required(item, "sk"),
        decided_at=decided_at,
        route=route,
        rule_id=_required(item, "ruleId"),
        reasons=tuple(r for r in reasons if isinstance(r, str)) if isinstance(reasons, list) else (),
        queue=_text(item.get("queue")),
        rules_revision=_text(revisions.get("rules")) if isinstance(revisions, dict) else "",
        context=rebuild_context(context),
        variant=_text(item.get("variant")) or "champion",
    )


def rebuild_context(stored: Mapping[str, Any]) -> DecisionContext:
    """The context `decide` saw, from the stored facts: every fact the rules may test must be there
    (an unknown one, left out when stored, is unknown again), with the type the catalogue gives it."""
    facts = {name: _fact(fact, stored.get(name)) for name, fact in DECISION_FACTS.items()}
    order = Order(STORED_ORDER_ID, facts["latestOrderStatus"], "") if facts["hasOpenOrder"] else None
    # The closure only names the holiday in the closed message; it never changes a route.
    return DecisionContext(facts, order, None)


def _fact(fact: Fact, value: Any) -> Any:
    if value is None:
        if fact.nullable:
            return None
        raise ItemProblem(f"context lacks the fact {fact.name} (stored by an older version?)")
    if fact.type is FactType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
            raise ItemProblem(f"context fact {fact.name} is not a number")
        return float(value)
    if fact.type is FactType.FLAG:
        if not isinstance(value, bool):
            raise ItemProblem(f"context fact {fact.name} is not true or false")
        return value
    if not isinstance(value, str):
        raise ItemProblem(f"context fact {fact.name} is not text")
    if fact.values is not None and value not in fact.values:
        raise ItemProblem(f"context fact {fact.name} has a value outside its enumeration")
    return value


def _decided_at(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ItemProblem("decidedAt is not a date and time with its offset")
    return moment.astimezone(UTC)


def _required(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise ItemProblem(f"no {name}")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
