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

Where a state lives (call_homes.py): a single-segment call's (the common case) inside its caller's
item `CALLER#<hash>` beside its recontact index entry; any other call's in its own item. Recontacts
(recontacts.py): a call whose first segment is new joins its caller's index, and its flag
(recontacted or not) is part of its contribution. When an arriving contact recontacts an earlier
one, the earlier call's state is rewritten with its new contribution in the same transaction as the
caller item (conditioned on its revision) and the counters' deltas: in the same item when it is a
single-segment call, else read in one more round. A call's flag, once counted, never clears.

Cost: one BatchGetItem per 100 keys (one key per call: its caller item, or its own item and its
segments' caller items; and `also_read`: other items of the table the caller needs to know about,
which refused records are listed already), one more round for the rare calls whose state must be
found in their own item, and one TransactWriteItems per group of calls whose Puts (one per caller
item, one per call with its own item) and distinct counters fit in 100 actions. 100 records of 100
single-segment calls by 100 callers are 100 keys and 100 Puts plus the counters: 1 read and 2
writes. A batch with more than `ARRIVALS_PER_CALLER` calls of one caller takes one round of reads
and writes per ten of them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from lambdas.ctr_ingest.aggregates import ALL, CALL_PREFIX, STATE_SK, Contribution, packed, state_key
from lambdas.ctr_ingest.call_homes import Book, Links, Place, Stored
from lambdas.ctr_ingest.recontacts import (
    CALLER_PREFIX,
    CallerIndex,
    Contact,
    fit,
    index_key,
    pruned_elsewhere,
)
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
    # Where a segment stands for the caller items (None: no caller; its call keeps its own item)
    place: Callable[[S], Place | None] = lambda segment: None


@dataclass
class CallUpdate(Generic[S]):
    call_id: str
    segments: dict[str, S]  # contact id → newest version of that segment, stored and new merged
    revision: int  # the state's revision read (0: no state yet)
    old: dict[str, dict[str, int]]  # the contribution already counted, by flat counter key
    sources: list[str]  # the batch item ids (sequence numbers) behind the new segments
    recontacted: bool  # the flag to count (the stored one until the caller's index says more)
    new: dict[str, dict[str, int]] = field(default_factory=dict)
    home: str | None = None  # the caller whose item holds the state; None: the call's own item
    start: str = ""  # ISO start of a state held in a caller item
    spilled: bool = False  # moved out of its caller item for room: its own item is written unconditioned


@dataclass
class Unit:
    """What must be written in one transaction: calls, and the caller items that hold or list them."""

    calls: list[CallUpdate[Any]]
    callers: list[dict[str, Any]] = field(default_factory=list)  # the caller items' Puts

    @property
    def puts(self) -> int:
        return len(self.callers) + sum(1 for update in self.calls if update.home is None)


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
        homes: dict[str, Place] = {}  # single-segment calls, by the place of their one record
        touched: dict[str, dict[str, datetime]] = {}  # other calls → their segments' callers (and when)
        callers: set[str] = set()
        for call_id, incoming in calls.items():
            segments = [pair[0] for pair in incoming.values()]
            places = [place for place in map(self.codec.place, segments) if place is not None]
            contact = self.codec.contact(segments)
            callers |= {place.caller for place in places} | ({contact.caller} if contact else set())
            if len(segments) == 1 and places and places[0].single:
                homes[call_id] = places[0]
            else:
                touched[call_id] = _earliest(places)
        ordered = sorted(callers)
        extra = [_typed(index_key(caller)) for caller in ordered] + [dict(key) for key in also_read]
        own, found = self._read([c for c in calls if c not in homes], result, extra)
        books = {c: Book.of(CallerIndex.from_item(c, found.get(_pair(index_key(c))))) for c in ordered}
        redirected = [c for c, p in homes.items() if books[p.caller].index.state_elsewhere(c, p.start)]
        for call_id in redirected:
            place = homes.pop(call_id)
            touched[call_id] = {place.caller: place.start}
        if redirected:
            own.update(self._read(redirected, result, [])[0])
        updates: dict[str, CallUpdate[S]] = {}
        links = Links()
        for call_id, incoming in calls.items():
            update = self._placed(
                call_id, incoming, homes=homes, touched=touched, own=own, books=books, links=links
            )
            if update is not None:
                updates[call_id] = update
        unchanged = len(calls) - len(updates)
        self._recontacts(updates, own, books, links, result)
        for update in updates.values():
            ordered_segments = [update.segments[c] for c in sorted(update.segments)]
            update.new = _flatten(self.codec.contribute(ordered_segments, update.recontacted))
        return self._grouped(updates, books, links), unchanged

    def _placed(
        self,
        call_id: str,
        incoming: Mapping[str, tuple[S, list[str]]],
        *,
        homes: Mapping[str, Place],
        touched: Mapping[str, Mapping[str, datetime]],
        own: Mapping[str, Mapping[str, Any]],
        books: Mapping[str, Book],
        links: Links,
    ) -> CallUpdate[S] | None:
        """The call's update from its state where it lives; a call with its own item takes in any state
        of it held by its segments' caller items, which then list it elsewhere."""
        if call_id in homes:
            place = homes[call_id]
            held = books[place.caller].states.get(call_id)
            stored = Stored.from_caller_item(held) if held else None
            update = self._update(call_id, stored, incoming)
            if update is not None:
                update.home, update.start = place.caller, place.start.isoformat()
                links.join(call_id, place.caller)
            return update
        stored = Stored.from_own(own.get(call_id))
        moved = False
        for caller, moment in sorted(touched[call_id].items()):
            book = books[caller]
            held = book.states.pop(call_id, None)
            if held is not None:
                moving = Stored.from_caller_item(held)
                stored = moving if stored is None else stored.merged(moving, self._version)
                moved = book.changed = True
            book.list_elsewhere(call_id, moment)
            links.join(call_id, caller)
        return self._update(call_id, stored, incoming, moved=moved)

    def _version(self, encoded: dict[str, Any]) -> tuple[str, Any]:
        segment = self.codec.decode(encoded)
        return segment.contact_id, segment.last_update

    def _update(
        self,
        call_id: str,
        stored: Stored | None,
        incoming: Mapping[str, tuple[S, list[str]]],
        *,
        moved: bool = False,
    ) -> CallUpdate[S] | None:
        """The call with its new segments merged in; None when nothing is newer than its state (and
        no state of it moves between items)."""
        held = {s.contact_id: s for s in map(self.codec.decode, stored.segments if stored else [])}
        fresh = {
            contact: pair
            for contact, pair in incoming.items()
            if contact not in held or pair[0].last_update > held[contact].last_update
        }
        if not fresh and not moved:
            return None
        return CallUpdate(
            call_id=call_id,
            segments={**held, **{contact: pair[0] for contact, pair in fresh.items()}},
            revision=stored.revision if stored else 0,
            old=stored.contribution if stored else {},
            sources=[item for pair in incoming.values() for item in pair[1]],
            recontacted=bool(stored and stored.recontacted),
        )

    def _recontacts(
        self,
        updates: dict[str, CallUpdate[S]],
        own: dict[str, dict[str, Any]],
        books: Mapping[str, Book],
        links: Links,
        result: IngestResult,
    ) -> None:
        """Settle each caller's index with its arriving contacts, and flag the earlier calls they
        recontact (added to `updates`). Only a call whose first segment is new arrives; another
        keeps its flag until an arrival flips it."""
        arrivals: dict[str, dict[str, Contact]] = defaultdict(dict)
        for call_id, update in updates.items():
            contact = self.codec.contact(list(update.segments.values()))
            if contact is not None and contact.caller in books:
                arrivals[contact.caller][call_id] = contact
        earlier: list[tuple[str, str]] = []  # (caller, call id): flipped, with nothing new
        for caller, arrived in sorted(arrivals.items()):
            book = books[caller]
            book.settled = settled = book.index.settle(arrived, self.window)
            for call_id in [*arrived, *sorted(settled.flipped)]:
                links.join(call_id, caller)
                if call_id in updates:  # an arrival, or a new segment of an earlier call
                    update = updates[call_id]
                    update.recontacted = update.recontacted or settled.flags[call_id]
                else:
                    earlier.append((caller, call_id))
        missing = [c for caller, c in earlier if c not in books[caller].states and c not in own]
        if missing:
            own.update(self._read(missing, result, [])[0])
        for caller, call_id in earlier:
            book = books[caller]
            held = book.states.get(call_id)
            stored = Stored.from_caller_item(held) if held else Stored.from_own(own.get(call_id))
            if stored is None:  # its state is gone: the entry stays unflagged
                entries = book.settled.entries if book.settled else {}
                if call_id in entries:
                    entries[call_id] = replace(entries[call_id], recontacted=False)
                continue
            if call_id not in updates:
                updates[call_id] = CallUpdate(
                    call_id=call_id,
                    segments={s.contact_id: s for s in map(self.codec.decode, stored.segments)},
                    revision=stored.revision,
                    old=stored.contribution,
                    sources=[],
                    recontacted=True,
                    home=caller if held else None,
                    start=stored.start,
                )

    def _grouped(
        self, updates: Mapping[str, CallUpdate[S]], books: Mapping[str, Book], links: Links
    ) -> list[Unit]:
        """Each caller item's Put (the states it holds written in, the oldest moved to their own items
        when it would outgrow its limit), and the calls, in units to write each in one transaction."""
        every = dict(updates)
        for update in updates.values():
            if update.home is not None:
                books[update.home].states[update.call_id] = {
                    "start": update.start,
                    "segments": [self.codec.encode(s) for s in update.segments.values()],
                    "contribution": packed(update.new),
                    "recontacted": update.recontacted,
                }
                books[update.home].changed = True
        puts: dict[str, dict[str, Any]] = {}
        for caller, book in books.items():
            settled = book.settled
            if not (book.changed or (settled is not None and settled.changed)):
                continue
            entries = settled.entries if settled else book.index.entries
            elsewhere = pruned_elsewhere(book.elsewhere, entries, self.window)
            kept, moving = fit(entries, book.states, elsewhere, self.window)
            spilled = book.index.spilled
            for call_id in moving:
                held = Stored.from_caller_item(book.states[call_id])
                moment = datetime.fromisoformat(held.start)
                spilled = moment if spilled is None else max(spilled, moment)
                every[call_id] = self._spill(call_id, held, every.get(call_id))
                links.join(call_id, caller)
            index = book.index
            item = index.item(entries, self.window, kept, elsewhere, spilled)
            puts[caller] = _conditioned({"TableName": self.table, "Item": item}, index.revision)
        units: dict[str, Unit] = {}
        for call_id, update in every.items():
            units.setdefault(links.root(f"call:{call_id}"), Unit(calls=[])).calls.append(update)
        for caller, put in puts.items():
            units.setdefault(links.root(f"caller:{caller}"), Unit(calls=[])).callers.append(put)
        return list(units.values())

    def _spill(self, call_id: str, held: Stored, update: CallUpdate[S] | None) -> CallUpdate[S]:
        """A state moved from its caller item to its own item: what it counted is unchanged."""
        if update is None:
            update = CallUpdate(
                call_id=call_id,
                segments={s.contact_id: s for s in map(self.codec.decode, held.segments)},
                revision=0,
                old=held.contribution,
                sources=[],
                recontacted=held.recontacted,
                new=held.contribution,
            )
        update.home, update.spilled = None, True
        return update

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
        """The transaction's actions (the Puts first, then the counters' ADDs), how many are Puts,
        and the counter deltas."""
        actions: list[dict[str, Any]] = []
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for unit in group:
            actions.extend({"Put": put} for put in unit.callers)
            for update in unit.calls:
                if update.home is None:
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

    def _state_put(self, update: CallUpdate[S]) -> dict[str, Any]:
        item = {
            **_typed(state_key(update.call_id)),
            "type": {"S": "CALL_STATE"},
            "revision": {"N": str(update.revision + 1)},
            "segments": {"S": json.dumps([self.codec.encode(s) for s in update.segments.values()])},
            "contribution": {"S": json.dumps(packed(update.new), sort_keys=True)},
            "recontacted": {"BOOL": update.recontacted},
        }
        put = {"TableName": self.table, "Item": item}
        # A state moved out of its caller item for room: the call has no own item to guard
        return put if update.spilled else _conditioned(put, update.revision)

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


class StateReadIncomplete(RuntimeError):
    """DynamoDB kept call states unprocessed after every retry: the batch is retried later."""


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
        size = unit.puts
        keys = {key for update in unit.calls for key in delta(update.old, update.new)}
        if group and puts + size + len(counters | keys) > MAX_TRANSACTION_ITEMS:
            yield group
            group, puts, counters = [], 0, set()
        group.append(unit)
        puts += size
        counters |= keys
    if group:
        yield group


def _earliest(places: Iterable[Place]) -> dict[str, datetime]:
    """Each caller of the places, with its earliest start."""
    earliest: dict[str, datetime] = {}
    for place in places:
        held = earliest.get(place.caller)
        earliest[place.caller] = place.start if held is None else min(held, place.start)
    return earliest


def _lost_a_race(error: Any, conditioned: int) -> bool:
    """Whether a Put's condition failed (another writer got there first); the Puts (call states,
    caller items) are the group's first `conditioned` actions, the counter Updates carry none."""
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons[:conditioned])
