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

Recontacts (recontacts.py): each call's caller item is read with the call states; a call whose
first segment is new joins its caller's index, and its flag (recontacted or not) is part of its
contribution. When an arriving contact recontacts an earlier one, the earlier call's state is read
(a second BatchGetItem, unless it was read already) and Put with its new contribution, in the same
transaction as the caller item (conditioned on its revision) and the counters' deltas. A call's
flag, once counted, never clears.

Cost: one BatchGetItem per 100 keys (call states, caller items, and `also_read`: other items of the
table the caller needs to know about, which refused records are listed already), one more round for
earlier calls a batch recontacts, and one TransactWriteItems per group of calls whose states, caller
items and distinct counters fit in 100 actions. 100 records of 100 calls by 100 callers are 200 keys
and 200 Puts plus the counters: 2 reads and 3 writes. A batch with more than `ARRIVALS_PER_CALLER`
calls of one caller takes one round of reads and writes per ten of them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar

from lambdas.ctr_ingest.aggregates import ALL, CALL_PREFIX, STATE_SK, Contribution, state_key
from lambdas.ctr_ingest.recontacts import CALLER_PREFIX, CallerIndex, Contact, Settled, index_key
from lambdas.shared.counters import PK, SK, counter_key

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit on actions in one TransactWriteItems
MAX_BATCH_GET_KEYS = 100
MAX_UNPROCESSED_ROUNDS = 5
# A caller's calls in one round: with the earlier calls they flip, the index and their counters,
# well inside one transaction
ARRIVALS_PER_CALLER = 10


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
    contribute: Callable[[Sequence[S], bool], Contribution]  # (segments, recontacted)
    contact: Callable[[Sequence[S]], Contact | None] = lambda segments: None  # for the recontact index


@dataclass
class CallUpdate(Generic[S]):
    call_id: str
    segments: dict[str, S]  # contact id → newest version of that segment, stored and new merged
    revision: int  # the state's revision read (0: no state yet)
    old: dict[str, dict[str, int]]  # the contribution already counted, by flat counter key
    sources: list[str]  # the batch item ids (sequence numbers) behind the new segments
    recontacted: bool  # the flag to count (the stored one until the caller's index says more)
    new: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Unit:
    """What must be written in one transaction: one call, or a caller's calls and its index item."""

    calls: list[CallUpdate[Any]]
    index: dict[str, Any] | None = None  # the caller item's Put


@dataclass
class IngestResult:
    applied: int = 0  # calls whose counters changed
    unchanged: int = 0  # calls with nothing newer than what was counted (duplicates, stale versions)
    failed_items: set[str] = field(default_factory=set)  # batch item ids to report as failures
    dynamodb_calls: int = 0
    added: dict[str, int] = field(default_factory=dict)  # net change applied to the `all` counters
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
    def __init__(
        self, dynamodb: Any, table: str, codec: Codec[S], window: timedelta = timedelta(hours=72)
    ) -> None:
        self.dynamodb, self.table, self.codec, self.window = dynamodb, table, codec, window

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
        for number, in_round in enumerate(self._rounds(newest)):
            pending = in_round
            for attempt in range(2):  # a lost race re-reads once; then Kinesis delivers the records again
                first = number == 0 and attempt == 0
                units, unchanged = self._units(pending, result, also_read if first else ())
                result.unchanged += unchanged
                lost = self._write(units, result, last_attempt=attempt == 1)
                pending = {call: newest[call] for call in lost if call in newest}
                if not pending:
                    break
        return result

    def _rounds(
        self, newest: Mapping[str, dict[str, tuple[S, list[str]]]]
    ) -> list[dict[str, dict[str, tuple[S, list[str]]]]]:
        """The calls in rounds of read and write, each with at most `ARRIVALS_PER_CALLER` calls of
        one caller: a caller's calls, their index and the earlier calls they flip are one transaction,
        which must fit in 100 actions however many calls one number made (a test line, a robocaller).
        A batch of distinct callers is one round."""
        rounds: list[dict[str, dict[str, tuple[S, list[str]]]]] = [{}]
        seen: dict[str, int] = defaultdict(int)
        for call_id, incoming in newest.items():
            contact = self.codec.contact([pair[0] for pair in incoming.values()])
            position = 0
            if contact is not None:
                position = seen[contact.caller] // ARRIVALS_PER_CALLER
                seen[contact.caller] += 1
            while len(rounds) <= position:
                rounds.append({})
            rounds[position][call_id] = incoming
        return rounds

    # -- reading

    def _units(
        self,
        calls: Mapping[str, Mapping[str, tuple[S, list[str]]]],
        result: IngestResult,
        also_read: Sequence[Mapping[str, Any]] = (),
    ) -> tuple[list[Unit], int]:
        arriving = [
            self.codec.contact([pair[0] for pair in incoming.values()]) for incoming in calls.values()
        ]
        callers = sorted({contact.caller for contact in arriving if contact})
        extra = [_typed(index_key(caller)) for caller in callers] + [dict(key) for key in also_read]
        states, found = self._read(list(calls), result, extra)
        indexes = {caller: found.get(_pair(index_key(caller))) for caller in callers}
        updates: dict[str, CallUpdate[S]] = {}
        unchanged = 0
        for call_id, incoming in calls.items():
            update = self._update(call_id, states.get(call_id), incoming)
            if update is None:
                unchanged += 1
            else:
                updates[call_id] = update
        units = self._recontacts(updates, states, indexes, result)
        for unit in units:
            for update in unit.calls:
                ordered = [update.segments[c] for c in sorted(update.segments)]
                update.new = _flatten(self.codec.contribute(ordered, update.recontacted))
        return units, unchanged

    def _update(
        self, call_id: str, state: Mapping[str, Any] | None, incoming: Mapping[str, tuple[S, list[str]]]
    ) -> CallUpdate[S] | None:
        """The call with its new segments merged in; None when nothing is newer than its state."""
        stored = {s.contact_id: s for s in map(self.codec.decode, _segments(state))}
        fresh = {
            contact: pair
            for contact, pair in incoming.items()
            if contact not in stored or pair[0].last_update > stored[contact].last_update
        }
        if not fresh:
            return None
        return CallUpdate(
            call_id=call_id,
            segments={**stored, **{contact: pair[0] for contact, pair in fresh.items()}},
            revision=_revision(state),
            old=json.loads(state["contribution"]["S"]) if state else {},
            sources=[item for pair in incoming.values() for item in pair[1]],
            recontacted=_flag(state),
        )

    def _recontacts(
        self,
        updates: dict[str, CallUpdate[S]],
        states: Mapping[str, Mapping[str, Any]],
        indexes: Mapping[str, Mapping[str, Any] | None],
        result: IngestResult,
    ) -> list[Unit]:
        """Calls grouped by caller with each caller's index (`indexes`: the caller items read, None
        when absent), and the earlier calls their arrival recontacts, flagged. Only a call whose first
        segment is new arrives; another keeps its flag until an arrival flips it."""
        arrivals: dict[str, dict[str, Contact]] = defaultdict(dict)
        for call_id, update in updates.items():
            contact = self.codec.contact(list(update.segments.values()))
            if contact is not None and contact.caller in indexes:
                arrivals[contact.caller][call_id] = contact
        settled_units: list[tuple[CallerIndex, Settled, Unit]] = []
        earlier: dict[str, tuple[Settled, Unit]] = {}  # calls to flip that have nothing new
        grouped: set[str] = set()
        for caller, arrived in sorted(arrivals.items()):
            index = CallerIndex.from_item(caller, indexes[caller])
            settled = index.settle(arrived, self.window)
            unit = Unit(calls=[])
            for call_id in [*arrived, *sorted(settled.flipped)]:
                if call_id in updates:  # an arrival, or a new segment of an earlier call
                    update = updates[call_id]
                    update.recontacted = update.recontacted or settled.flags[call_id]
                    unit.calls.append(update)
                    grouped.add(call_id)
                else:
                    earlier[call_id] = (settled, unit)
            settled_units.append((index, settled, unit))
        self._flip(earlier, states, result)
        units = []
        for index, settled, unit in settled_units:
            unit.index = self._index_put(index, settled.entries) if settled.changed else None
            units.append(unit)
        units.extend(Unit(calls=[u]) for call_id, u in updates.items() if call_id not in grouped)
        return units

    def _flip(
        self,
        earlier: Mapping[str, tuple[Settled, Unit]],
        states: Mapping[str, Mapping[str, Any]],
        result: IngestResult,
    ) -> None:
        """Add to its unit each earlier call an arrival recontacts, from its state (read in one more
        round unless read already). A call whose state is gone keeps its entry unflagged."""
        read = dict(states)
        missing = [call_id for call_id in earlier if call_id not in read]
        if missing:
            read.update(self._read(missing, result, [])[0])
        for call_id, (settled, unit) in earlier.items():
            state = read.get(call_id)
            if state is None:
                if call_id in settled.entries:
                    settled.entries[call_id] = replace(settled.entries[call_id], recontacted=False)
                continue
            unit.calls.append(
                CallUpdate(
                    call_id=call_id,
                    segments={s.contact_id: s for s in map(self.codec.decode, _segments(state))},
                    revision=_revision(state),
                    old=json.loads(state["contribution"]["S"]),
                    sources=[],
                    recontacted=True,
                )
            )

    def _read(
        self, call_ids: list[str], result: IngestResult, extra: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        """The call states found, by call id; and the other items found (`extra`), by (pk, sk)."""
        states: dict[str, dict[str, Any]] = {}
        others: dict[tuple[str, str], dict[str, Any]] = {}
        every_key = [_typed(state_key(call)) for call in call_ids] + [dict(key) for key in extra]
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
                        states[pk.removeprefix(CALL_PREFIX)] = item
                    else:
                        others[(pk, sk)] = item
                        if result.also_found is not None and not pk.startswith(CALLER_PREFIX):
                            result.also_found.add((pk, sk))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise StateReadIncomplete(f"{len(request[self.table]['Keys'])} call states still unread")
        return states, others

    # -- writing

    def _write(self, units: list[Unit], result: IngestResult, *, last_attempt: bool) -> set[str]:
        """Write every group; the calls of groups that lost a race (to retry), else failures recorded."""
        lost: set[str] = set()
        for group in _groups(units):
            calls = [update for unit in group for update in unit.calls]
            actions, conditioned, totals = self._actions(group)
            try:
                self.dynamodb.transact_write_items(TransactItems=actions)
                result.dynamodb_calls += 1
                result.applied += sum(1 for u in calls if u.sources)
                for key, moved in totals.items():
                    if key.startswith(f"{ALL}|"):
                        for name, amount in moved.items():
                            result.added[name] = result.added.get(name, 0) + amount
            except self.dynamodb.exceptions.TransactionCanceledException as error:
                result.dynamodb_calls += 1
                if not last_attempt and _lost_a_race(error, conditioned):
                    # The whole group is retried: the transaction wrote none of it; every read is redone.
                    lost |= {u.call_id for u in calls}
                else:
                    result.failed_items.update(item for u in calls for item in u.sources)
            except Exception:  # throttled, unavailable: these records are reported, delivered again
                result.dynamodb_calls += 1
                result.failed_items.update(item for u in calls for item in u.sources)
        return lost

    def _actions(self, group: list[Unit]) -> tuple[list[dict[str, Any]], int, dict[str, dict[str, int]]]:
        """The transaction's actions (conditioned Puts first, then the counters' ADDs), how many
        are conditioned, and the counter deltas."""
        actions: list[dict[str, Any]] = []
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for unit in group:
            if unit.index is not None:
                actions.append({"Put": unit.index})
            for update in unit.calls:
                actions.append({"Put": self._state_put(update)})
                for key, moved in delta(update.old, update.new).items():
                    for name, amount in moved.items():
                        totals[key][name] += amount
        conditioned = len(actions)
        applied: dict[str, dict[str, int]] = {}
        for key, summed in sorted(totals.items()):
            nonzero = {n: v for n, v in summed.items() if v}
            if nonzero:  # calls in one group can cancel out
                actions.append({"Update": self._counter_update(key, nonzero)})
                applied[key] = nonzero
        return actions, conditioned, applied

    def _index_put(self, index: CallerIndex, entries: Mapping[str, Any]) -> dict[str, Any]:
        return _conditioned(
            {"TableName": self.table, "Item": index.item(entries, self.window)}, index.revision
        )

    def _state_put(self, update: CallUpdate[S]) -> dict[str, Any]:
        item = {
            **_typed(state_key(update.call_id)),
            "type": {"S": "CALL_STATE"},
            "revision": {"N": str(update.revision + 1)},
            "segments": {"S": json.dumps([self.codec.encode(s) for s in update.segments.values()])},
            "contribution": {"S": json.dumps(update.new, sort_keys=True)},
            "recontacted": {"BOOL": update.recontacted},
        }
        return _conditioned({"TableName": self.table, "Item": item}, update.revision)

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


def _conditioned(put: dict[str, Any], revision: int) -> dict[str, Any]:
    """The Put succeeds only if the item is still at the revision read (or still absent)."""
    if revision:
        put["ConditionExpression"] = "revision = :read"
        put["ExpressionAttributeValues"] = {":read": {"N": str(revision)}}
    else:
        put["ConditionExpression"] = "attribute_not_exists(#pk)"
        put["ExpressionAttributeNames"] = {"#pk": PK}
    return put


def _revision(state: Mapping[str, Any] | None) -> int:
    return int(state.get("revision", {}).get("N", "0")) if state else 0


def _flag(state: Mapping[str, Any] | None) -> bool:
    return bool(state and state.get("recontacted", {}).get("BOOL"))


class StateReadIncomplete(RuntimeError):
    """DynamoDB kept call states unprocessed after every retry: the batch is retried later."""


def _segments(state: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return json.loads(state["segments"]["S"]) if state else []


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key[PK], key[SK]


def _typed(key: Mapping[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in key.items()}


def _groups(units: list[Unit]) -> Iterable[list[Unit]]:
    """Units in groups whose Puts and distinct counter Updates fit in one transaction."""
    group: list[Unit] = []
    puts = 0
    counters: set[str] = set()
    for unit in units:
        size = len(unit.calls) + (unit.index is not None)
        keys = {key for update in unit.calls for key in delta(update.old, update.new)}
        if group and puts + size + len(counters | keys) > MAX_TRANSACTION_ITEMS:
            yield group
            group, puts, counters = [], 0, set()
        group.append(unit)
        puts += size
        counters |= keys
    if group:
        yield group


def _lost_a_race(error: Any, conditioned: int) -> bool:
    """Whether a Put's condition failed (another writer got there first); the Puts (call states,
    caller items) are the group's first `conditioned` actions, the counter Updates carry none."""
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons[:conditioned])
