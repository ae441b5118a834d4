"""What became of each call, read from the call states ctr_ingest keeps in the Metrics table.

ctr_ingest keeps one state per call whose `contribution` is what the call added to the counters: per
`<dimension>|<day>|<value>` key, the same counters (lambdas/shared/kpi.py `call_counters`). So a
call's outcome, its recontact and resolution, its handle time and its intent, route, queue and
interval are read back exactly as the report counted them, never classified a second time.

Where a state lives (lambdas/ctr_ingest/call_homes.py): a call with transfers has its own item
(`CALL#<initial contact id>`, `state_key`), read by key; a single-segment call's state is inside its
caller's item, whose key (a keyed hash of the caller) a replay never knows: the calls not found by key
are looked for in one paged Scan of the caller items, only when some are missing.

A call with no state (its contact records not ingested yet) is absent from the answer, and so is a
state whose contribution cannot be read: the replay reports such calls as without an outcome rather
than guessing one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.ctr_ingest.aggregates import ALL, CALL_PREFIX, state_key, unpacked
from lambdas.ctr_ingest.call_counters import MAX_BATCH_GET_KEYS, MAX_UNPROCESSED_ROUNDS
from lambdas.ctr_ingest.held_states import HeldStates
from lambdas.ctr_ingest.recontacts import CALLER_ITEM_TYPE
from lambdas.policy.rules import PERSON_ROUTES
from lambdas.shared.counters import PK
from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.kpi import CONTAINED, OUTCOME_COUNTERS


@dataclass(frozen=True)
class CallOutcome:
    """One call as ctr_ingest counted it. Dimension values are ctr_ingest's (`NONE` when unset)."""

    intent: str
    route: str  # the route attribute at the end of the call (AGENT when self-service handed over)
    queue: str
    interval: str | None  # `<queue>@HH:MM`, the half-hour the call started in; None in older states
    outcome: str  # one of lambdas.shared.kpi.OUTCOMES
    contained: bool
    resolved: bool
    recontacted: bool
    handled: bool  # an agent spent time on it
    handle_seconds: int

    @property
    def to_person(self) -> bool:
        """Handed to a person: its route at the end of the call is AGENT or CALLBACK."""
        return self.route in PERSON_ROUTES

    @property
    def half_hour(self) -> str | None:
        """`HH:MM` of the interval, in the centre's time zone (like ctr_ingest's interval dimension)."""
        return None if self.interval is None else self.interval.rpartition("@")[2]


class OutcomesIncomplete(RuntimeError):
    """DynamoDB kept call states unprocessed after every retry."""


def read_outcomes(
    dynamodb: Any,
    table: str,
    call_ids: Iterable[str],
    *,
    pause: Callable[[float], None] = time.sleep,
) -> dict[str, CallOutcome]:
    """The outcome of each call that has a readable state, by initial contact id.

    BatchGetItem in pages of 100 keys; unprocessed keys are asked again (after a short, growing
    pause) up to five times, then `OutcomesIncomplete` is raised rather than a call left out unseen.
    The calls without an own item are then looked for in the caller items (one paged Scan).
    """
    unique = list(dict.fromkeys(call_ids))
    outcomes: dict[str, CallOutcome] = {}
    for start in range(0, len(unique), MAX_BATCH_GET_KEYS):
        keys = [to_dynamodb(state_key(call_id)) for call_id in unique[start : start + MAX_BATCH_GET_KEYS]]
        request: dict[str, Any] = {table: {"Keys": keys}}
        for attempt in range(MAX_UNPROCESSED_ROUNDS):
            if attempt:
                pause(0.05 * 2**attempt)
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found = outcome_of(item)
                if found is not None:
                    outcomes[item[PK]["S"].removeprefix(CALL_PREFIX)] = found
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            left = len(request[table]["Keys"])
            raise OutcomesIncomplete(
                f"DynamoDB left {left} call states unread after {MAX_UNPROCESSED_ROUNDS} tries"
            )
    missing = set(unique) - set(outcomes)
    if missing:
        outcomes |= _in_caller_items(dynamodb, table, missing)
    return outcomes


def _in_caller_items(dynamodb: Any, table: str, wanted: set[str]) -> dict[str, CallOutcome]:
    """The outcomes of the `wanted` calls whose state a caller item holds."""
    found: dict[str, CallOutcome] = {}
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#type = :callers AND attribute_exists(#states)",
        "ProjectionExpression": "#states",
        "ExpressionAttributeNames": {"#type": "type", "#states": "states"},
        "ExpressionAttributeValues": {":callers": {"S": CALLER_ITEM_TYPE}},
    }
    while True:
        page = dynamodb.scan(**request)
        for item in page.get("Items", []):
            try:
                states = HeldStates.read(json.loads(item["states"]["S"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # an item that cannot be read holds no outcome
            for call_id in wanted & set(states):
                try:
                    outcome = _outcome(states[call_id].get("contribution"))
                except (TypeError, ValueError):
                    outcome = None
                if outcome is not None:
                    found[call_id] = outcome
        if not page.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def outcome_of(state: Mapping[str, Any]) -> CallOutcome | None:
    """The call a state item describes; None when its contribution cannot be read."""
    try:
        return _outcome(json.loads(state["contribution"]["S"]))
    except (KeyError, TypeError, ValueError):
        return None


def _outcome(stored: Any) -> CallOutcome | None:
    """The call a stored contribution (`aggregates.packed`, or a map by `<dimension>|<day>|<value>`)
    describes; None when it cannot be read."""
    try:
        contribution = unpacked(stored)
        values = dict(_dimension_value(key) for key in contribution)
        counters = next(c for key, c in contribution.items() if _dimension_value(key) == (ALL, ALL))
        outcome = next(name for name, counter in OUTCOME_COUNTERS.items() if counters.get(counter))
        return CallOutcome(
            intent=values["intent"],
            route=values["route"],
            queue=values["queue"],
            interval=values.get("interval"),
            outcome=outcome,
            contained=outcome == CONTAINED,
            resolved=bool(counters.get("resolved")),
            recontacted=bool(counters.get("recontacted")),
            handled=bool(counters.get("handled")),
            handle_seconds=int(counters.get("handleSeconds", 0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration):
        return None


def _dimension_value(flat_key: str) -> tuple[str, str]:
    """`intent|2026-11-23|ORDER_STATUS` (call_counters.flat_key) → ("intent", "ORDER_STATUS")."""
    dimension, _day, value = flat_key.split("|", 2)
    return dimension, value
