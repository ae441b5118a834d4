"""Counting each call exactly once: per-call state and counter deltas in the same transaction.

A batch of contact records becomes, per call (initial contact id), the newest version of each of its
segments. For every call with something new, the state item says what the call had added to the
counters so far; the call's new contribution minus the old one is the delta. The state Put
(conditioned on the revision read) and the counters' `ADD`s go into one `TransactWriteItems`, so a
delta is applied exactly when the state that records it is written:

- the same record again (redelivery, a retry after partial failure, a duplicate in the batch) or an
  older version of a segment finds nothing newer and writes nothing;
- a newer version (a post-call attribute update, another segment) replaces the call's contribution
  by the difference, whatever the order the records came in;
- two writers racing for one call: the loser's condition fails; it re-reads and tries once more,
  and otherwise reports the call's records as failed, so Kinesis delivers them again.

Cost: one BatchGetItem per 100 calls and one TransactWriteItems per group of calls whose states and
distinct counters fit in 100 items, about 3 DynamoDB calls per 100 records. Other items of the same
table the caller needs to know about (`also_read`: which refused records are listed already) ride
in the first BatchGetItem, so a batch of up to 100 records reads once whatever it holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from lambdas.ctr_ingest.aggregates import CALL_PREFIX, PK, SK, STATE_SK, Contribution, counter_key, state_key

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit on actions in one TransactWriteItems
MAX_BATCH_GET_KEYS = 100
MAX_UNPROCESSED_ROUNDS = 5


class Segment(Protocol):
    @property
    def contact_id(self) -> str: ...

    @property
    def initial_contact_id(self) -> str: ...

    @property
    def last_update(self) -> Any: ...  # comparable: the record's LastUpdateTimestamp


S = TypeVar("S", bound=Segment)


@dataclass(frozen=True)
class Codec(Generic[S]):
    """How a segment is stored in the call state, and what a call's segments contribute."""

    encode: Callable[[S], dict[str, Any]]
    decode: Callable[[Mapping[str, Any]], S]
    contribute: Callable[[Sequence[S]], Contribution]


@dataclass
class CallUpdate(Generic[S]):
    call_id: str
    segments: dict[str, S]  # contact id → newest version of that segment, stored and new merged
    revision: int  # the state's revision read (0: no state yet)
    old: dict[str, dict[str, int]]  # the contribution already counted, by flat counter key
    new: dict[str, dict[str, int]]
    sources: list[str]  # the batch item ids (sequence numbers) behind the new segments


@dataclass
class IngestResult:
    applied: int = 0  # calls whose counters changed
    unchanged: int = 0  # calls with nothing newer than what was counted (duplicates, stale versions)
    failed_items: set[str] = field(default_factory=set)  # batch item ids to report as failures
    dynamodb_calls: int = 0
    # (pk, sk) of the `also_read` keys that exist; None when the read failed (nothing is known)
    also_found: set[tuple[str, str]] | None = field(default_factory=set)


def flat_key(dimension: str, day: str, value: str) -> str:
    return f"{dimension}|{day}|{value}"


def _flatten(contribution: Contribution) -> dict[str, dict[str, int]]:
    return {
        flat_key(*key): {name: int(amount) for name, amount in counters.items() if int(amount)}
        for key, counters in contribution.items()
    }


def delta(
    old: Mapping[str, Mapping[str, int]], new: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """new - old, per counter key and name; zero entries left out."""
    changes: dict[str, dict[str, int]] = {}
    for key in set(old) | set(new):
        names = set(old.get(key, {})) | set(new.get(key, {}))
        moved = {n: new.get(key, {}).get(n, 0) - old.get(key, {}).get(n, 0) for n in names}
        moved = {n: v for n, v in moved.items() if v}
        if moved:
            changes[key] = moved
    return changes


class CounterStore(Generic[S]):
    def __init__(self, dynamodb: Any, table: str, codec: Codec[S]) -> None:
        self.dynamodb, self.table, self.codec = dynamodb, table, codec

    def ingest(
        self, batch: Iterable[tuple[str, S]], also_read: Sequence[Mapping[str, Any]] = ()
    ) -> IngestResult:
        """Count the calls behind `batch` (item id, segment); the result names item ids that failed.

        `also_read` (typed keys of other items of the table) are read with the first call states;
        the result's `also_found` says which exist. A failed read raises, as for the states.
        """
        result = IngestResult()
        newest: dict[str, dict[str, tuple[S, list[str]]]] = defaultdict(dict)
        for item_id, segment in batch:
            calls = newest[segment.initial_contact_id]
            held = calls.get(segment.contact_id)
            if held is None or segment.last_update > held[0].last_update:
                calls[segment.contact_id] = (segment, [item_id, *(held[1] if held else [])])
            else:
                held[1].append(item_id)
        pending = dict(newest)
        for attempt in range(2):  # a lost race re-reads once; then Kinesis delivers the records again
            updates, unchanged = self._updates(pending, result, also_read if attempt == 0 else ())
            result.unchanged += unchanged
            lost = self._write(updates, result, last_attempt=attempt == 1)
            pending = {call: newest[call] for call in lost}
            if not pending:
                break
        return result

    # -- reading

    def _updates(
        self,
        calls: Mapping[str, Mapping[str, tuple[S, list[str]]]],
        result: IngestResult,
        also_read: Sequence[Mapping[str, Any]] = (),
    ) -> tuple[list[CallUpdate[S]], int]:
        states = self._read_states(list(calls), result, also_read)
        updates, unchanged = [], 0
        for call_id, incoming in calls.items():
            state = states.get(call_id)
            stored = {s.contact_id: s for s in map(self.codec.decode, _segments(state))}
            fresh = {
                contact: pair
                for contact, pair in incoming.items()
                if contact not in stored or pair[0].last_update > stored[contact].last_update
            }
            if not fresh:
                unchanged += 1
                continue
            segments = {**stored, **{contact: pair[0] for contact, pair in fresh.items()}}
            ordered = [segments[c] for c in sorted(segments)]
            updates.append(
                CallUpdate(
                    call_id=call_id,
                    segments=segments,
                    revision=int(state.get("revision", {}).get("N", "0")) if state else 0,
                    old=json.loads(state["contribution"]["S"]) if state else {},
                    new=_flatten(self.codec.contribute(ordered)),
                    sources=[item for pair in incoming.values() for item in pair[1]],
                )
            )
        return updates, unchanged

    def _read_states(
        self, call_ids: list[str], result: IngestResult, also_read: Sequence[Mapping[str, Any]] = ()
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        every_key = [_typed(state_key(call)) for call in call_ids] + [dict(key) for key in also_read]
        for start in range(0, len(every_key), MAX_BATCH_GET_KEYS):
            keys = every_key[start : start + MAX_BATCH_GET_KEYS]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(MAX_UNPROCESSED_ROUNDS):
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                result.dynamodb_calls += 1
                if not isinstance(answer.get("Responses"), dict):  # garbled: a failed read, not "no state"
                    raise StateReadIncomplete("BatchGetItem answered without Responses")
                for item in answer.get("Responses", {}).get(self.table, []):
                    pk, sk = item[PK]["S"], item[SK]["S"]
                    if pk.startswith(CALL_PREFIX) and sk == STATE_SK:
                        found[pk.removeprefix(CALL_PREFIX)] = item
                    elif result.also_found is not None:
                        result.also_found.add((pk, sk))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise StateReadIncomplete(f"{len(request[self.table]['Keys'])} call states still unread")
        return found

    # -- writing

    def _write(self, updates: list[CallUpdate[S]], result: IngestResult, *, last_attempt: bool) -> set[str]:
        """Write every group; the calls of groups that lost a race (to retry), else failures recorded."""
        lost: set[str] = set()
        for group in _groups(updates):
            try:
                self.dynamodb.transact_write_items(TransactItems=self._actions(group))
                result.dynamodb_calls += 1
                result.applied += len(group)
            except self.dynamodb.exceptions.TransactionCanceledException as error:
                result.dynamodb_calls += 1
                if not last_attempt and _lost_a_race(error, len(group)):
                    # The whole group is retried: the transaction wrote none of it; every read is redone.
                    lost |= {u.call_id for u in group}
                else:
                    result.failed_items.update(item for u in group for item in u.sources)
            except Exception:  # throttled, unavailable: these records are reported, delivered again
                result.dynamodb_calls += 1
                result.failed_items.update(item for u in group for item in u.sources)
        return lost

    def _actions(self, group: list[CallUpdate[S]]) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = []
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for update in group:
            actions.append({"Put": self._state_put(update)})
            for key, moved in delta(update.old, update.new).items():
                for name, amount in moved.items():
                    totals[key][name] += amount
        for key, summed in sorted(totals.items()):
            nonzero = {n: v for n, v in summed.items() if v}
            if nonzero:  # calls in one group can cancel out
                actions.append({"Update": self._counter_update(key, nonzero)})
        return actions

    def _state_put(self, update: CallUpdate[S]) -> dict[str, Any]:
        item = {
            **_typed(state_key(update.call_id)),
            "type": {"S": "CALL_STATE"},
            "revision": {"N": str(update.revision + 1)},
            "segments": {"S": json.dumps([self.codec.encode(s) for s in update.segments.values()])},
            "contribution": {"S": json.dumps(update.new, sort_keys=True)},
        }
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if update.revision:
            put["ConditionExpression"] = "revision = :read"
            put["ExpressionAttributeValues"] = {":read": {"N": str(update.revision)}}
        else:
            put["ConditionExpression"] = "attribute_not_exists(#pk)"
            put["ExpressionAttributeNames"] = {"#pk": PK}
        return put

    def _counter_update(self, key: str, moved: Mapping[str, int]) -> dict[str, Any]:
        dimension, day, value = key.split("|", 2)
        names = sorted(moved)
        return {
            "TableName": self.table,
            "Key": _typed(counter_key(dimension, day, value)),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(names))),
            "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(names)},
            "ExpressionAttributeValues": {f":c{i}": {"N": str(moved[name])} for i, name in enumerate(names)},
        }


class StateReadIncomplete(RuntimeError):
    """DynamoDB kept call states unprocessed after every retry: the batch is retried later."""


def _segments(state: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return json.loads(state["segments"]["S"]) if state else []


def _typed(key: Mapping[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in key.items()}


def _groups(updates: list[CallUpdate[Any]]) -> Iterable[list[CallUpdate[Any]]]:
    """Calls in groups whose state Puts and distinct counter Updates fit in one transaction."""
    group: list[CallUpdate[Any]] = []
    counters: set[str] = set()
    for update in updates:
        keys = set(delta(update.old, update.new))
        if group and len(group) + 1 + len(counters | keys) > MAX_TRANSACTION_ITEMS:
            yield group
            group, counters = [], set()
        group.append(update)
        counters |= keys
    if group:
        yield group


def _lost_a_race(error: Any, calls: int) -> bool:
    """Whether a call state's condition failed (another writer got there first); the state Puts are
    the group's first `calls` actions, the counter Updates carry no condition."""
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons[:calls])
