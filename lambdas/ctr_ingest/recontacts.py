"""The recontact index: each caller's recent contacts, and which of them were recontacted.

A contact is *recontacted* when the same caller (`ContactRecord.caller`, a keyed hash) starts
another contact that can recontact (its first segment is INBOUND, or API on the CHAT channel: not a
transfer, a callback or an outbound call) with a different initial contact id, after it and at most
the window after it. A contact's start is its first segment's initiation; it is recontacted or not,
at most once, so in A → B → C, B recontacts A and C recontacts B.

One item per caller, pk `CALLER#<hash>`, sk `CONTACTS`, holding:

- `contacts` (JSON: per contact its initial contact id, start, whether it can recontact, and whether
  it was counted as recontacted). Contacts that started more than the window and a day before the
  newest are pruned: no contact that could still recontact them is expected (records arrive within
  a day of one another).
- `states` (JSON: per single-segment call of this caller, its call state: start, segments,
  contribution, flag; each kept as text until a record needs it, held_states.py). A call whose
  only record is its initial segment with no previous or next contact
  (`ContactRecord.single_segment`), the common case, is counted here, beside its index entry: one
  key read and one Put per record. Other calls keep their own state item
  (`CALL#<initial contact id>`, aggregates.py), and are listed in `elsewhere`.
- `elsewhere` (JSON: initial contact id → time): this caller's calls whose state is in their own
  item (transfers), so that a single-segment version of one of their records is counted there.
- `spilled`: states are kept as long as call state items are (not deleted with the index): a state
  whose call the index no longer reaches (started more than the window and a day before the
  newest contact), or that would make the item outgrow `ITEM_BYTES` (a number shared by many
  callers), moves to its own item, and every single-segment call that started at or before
  `spilled` is looked for there. So an item holds the states of a few days of its caller's calls.
- `revision`, and `expiresAt` (the table's TTL attribute) = the newest start + the window + a day,
  only while the item holds no call state (an item that does is kept like a call state item).

`CounterStore` (call_counters.py) reads the item with the call states and writes it, conditioned on
its revision, in the same transaction as the counters' deltas of every state it holds or changes,
so each call and each flag is counted exactly once.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from lambdas.ctr_ingest.held_states import HeldStates
from lambdas.ctr_ingest.held_states import canonical_json as _json
from lambdas.shared.counters import PK, SK

CALLER_PREFIX, INDEX_SK = "CALLER#", "CONTACTS"
CALLER_ITEM_TYPE = "CALLER_CONTACTS"  # the items' `type`: what a reader scanning for them filters on
GRACE = timedelta(days=1)  # how late a contact's record may arrive after its caller's newest and still match
# A caller item holds at most this many contacts (about 100 bytes each) and `elsewhere` calls (about
# 70); beyond it the oldest go first. Only a number shared by many callers comes near it.
MAX_ENTRIES = 1000
MAX_ELSEWHERE = 1000
# Under DynamoDB's 400 KB item limit with room for the keys and names: beyond it the oldest call
# states move to their own items (an answered call's state is about 1.4 KB, its contribution packed by
# aggregates.packed: some 180 calls beside an index at its limit).
ITEM_BYTES = 350_000


class Initial(Protocol):
    """What the index needs of a call's segments (ContactRecord has these)."""

    @property
    def contact_id(self) -> str: ...

    @property
    def initial_contact_id(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def initiation_method(self) -> str: ...

    @property
    def initiation(self) -> datetime: ...

    @property
    def caller(self) -> str | None: ...


@dataclass(frozen=True)
class Contact:
    """A call as the index knows it."""

    caller: str
    start: datetime  # aware
    recontacts: bool  # it can recontact an earlier contact of its caller


def contact_of(segments: Sequence[Initial]) -> Contact | None:
    """The call's contact, from its first segment; None until that segment is known, or when
    nothing identifies the caller."""
    first = next((s for s in segments if s.contact_id == s.initial_contact_id), None)
    if first is None or first.caller is None:
        return None
    method = first.initiation_method
    inbound = method == "INBOUND" or (method == "API" and first.channel == "CHAT")
    return Contact(first.caller, first.initiation, recontacts=inbound)


def index_key(caller: str) -> dict[str, str]:
    return {PK: f"{CALLER_PREFIX}{caller}", SK: INDEX_SK}


@dataclass(frozen=True)
class Entry:
    start: datetime
    recontacts: bool
    recontacted: bool  # what the contact's state counted


@dataclass
class Settled:
    """The index after some contacts arrived: what to write, and whose flag it changed."""

    entries: dict[str, Entry]  # initial contact id → entry, pruned
    flags: dict[str, bool]  # every contact's flag (arrivals and earlier ones), before pruning
    flipped: set[str]  # earlier contacts (not arriving) now recontacted: their states are rewritten
    changed: bool  # the item must be written


@dataclass(frozen=True)
class CallerIndex:
    caller: str
    revision: int  # 0: no item yet
    entries: dict[str, Entry]
    states: HeldStates = field(default_factory=HeldStates)  # single-segment calls' states
    elsewhere: dict[str, datetime] = field(default_factory=dict)  # calls in their own state item
    spilled: datetime | None = None  # single-segment calls started then or before: in their own items

    @classmethod
    def from_item(cls, caller: str, item: Mapping[str, Any] | None) -> CallerIndex:
        if item is None:
            return cls(caller, 0, {})
        raw = json.loads(item["contacts"]["S"])
        entries = {
            each["id"]: Entry(
                datetime.fromisoformat(each["start"]), bool(each["recontacts"]), bool(each["recontacted"])
            )
            for each in raw
        }
        # An item written before call states moved in has none of these
        states = HeldStates.read(json.loads(item["states"]["S"])) if "states" in item else HeldStates()
        elsewhere = json.loads(item["elsewhere"]["S"]) if "elsewhere" in item else {}
        spilled = item.get("spilled", {}).get("S")
        return cls(
            caller,
            int(item["revision"]["N"]),
            entries,
            states,
            {call_id: datetime.fromisoformat(moment) for call_id, moment in elsewhere.items()},
            datetime.fromisoformat(spilled) if spilled else None,
        )

    def state_elsewhere(self, call_id: str, start: datetime) -> bool:
        """Whether a single-segment record of this caller's call must be counted in the call's own
        state item: the item knows the call but holds no state for it (a transfer's call, a state
        moved out for room, or one written before states moved into caller items)."""
        if call_id in self.states:
            return False
        spilled = self.spilled is not None and start <= self.spilled
        return call_id in self.elsewhere or call_id in self.entries or spilled

    def settle(self, arrivals: Mapping[str, Contact], window: timedelta) -> Settled:
        """Add the arriving contacts; flag every contact a later one recontacts (flags never clear)."""
        merged = dict(self.entries)
        for call_id, contact in arrivals.items():
            held = merged.get(call_id)
            merged[call_id] = Entry(contact.start, contact.recontacts, held.recontacted if held else False)
        later = sorted(entry.start for entry in merged.values() if entry.recontacts)
        flags: dict[str, bool] = {}
        for call_id, entry in merged.items():
            after = bisect.bisect_right(later, entry.start)  # the first recontacting start after it
            flags[call_id] = entry.recontacted or (
                after < len(later) and later[after] <= entry.start + window
            )
        flipped = {c for c, e in self.entries.items() if c not in arrivals and flags[c] and not e.recontacted}
        flagged = {c: replace(e, recontacted=flags[c]) for c, e in merged.items()}
        kept = _pruned(flagged, window)
        return Settled(kept, flags, flipped, changed=kept != self.entries)

    def item(
        self,
        entries: Mapping[str, Entry],
        window: timedelta,
        states: Mapping[str, str] | None = None,
        elsewhere: Mapping[str, datetime] | None = None,
        spilled: datetime | None = None,
    ) -> dict[str, Any]:
        """The item to Put (typed), at the next revision. `states` (each call's member of the
        `states` object, as JSON), `elsewhere` and `spilled` as `fit` left them."""
        states, elsewhere = states or {}, elsewhere or {}
        item: dict[str, Any] = {
            **{name: {"S": value} for name, value in index_key(self.caller).items()},
            "type": {"S": CALLER_ITEM_TYPE},
            "revision": {"N": str(self.revision + 1)},
            "contacts": {"S": _contacts_json(entries)},
        }
        if states:
            item["states"] = {"S": _joined(states)}
        if elsewhere:
            item["elsewhere"] = {"S": _json({c: t.isoformat() for c, t in elsewhere.items()})}
        if spilled is not None:
            item["spilled"] = {"S": spilled.isoformat()}
        moments = [e.start for e in entries.values()] + list(elsewhere.values())
        if not states and moments:  # call states are kept as long as their own items would be
            item["expiresAt"] = {"N": str(int((max(moments) + window + GRACE).timestamp()))}
        return item


def fit(
    entries: Mapping[str, Entry],
    states: HeldStates,
    elsewhere: Mapping[str, datetime],
    window: timedelta,
) -> tuple[dict[str, str], list[str]]:
    """The states the item keeps, newest first, each as its member's JSON: those of calls its index still
    reaches (started at most the window and a day before its newest contact) that fit within
    `ITEM_BYTES`; and the ids of the others, which move to their own items (oldest first). Moving the
    older ones by age keeps a caller who rings every day from growing an item that each of their
    calls reads and writes."""
    room = (
        ITEM_BYTES
        - len(_contacts_json(entries))
        - len(_json({c: t.isoformat() for c, t in elsewhere.items()}))
    )
    reach = max(e.start for e in entries.values()) - window - GRACE if entries else None
    ordered = sorted(((states.start(call_id), call_id) for call_id in states), reverse=True)
    kept: dict[str, str] = {}
    for start, call_id in ordered:
        if reach is not None and datetime.fromisoformat(start) < reach:
            break
        text = _json(states.member(call_id))
        room -= len(_json(call_id)) + len(text) + 2  # as in `_joined`: `"id":{...}` and a comma or brace
        if room < 0:
            break
        kept[call_id] = text
    return kept, [call_id for _, call_id in reversed(ordered) if call_id not in kept]


def pruned_elsewhere(
    elsewhere: Mapping[str, datetime], entries: Mapping[str, Entry], window: timedelta
) -> dict[str, datetime]:
    """`elsewhere` without the calls too old to see a record again, at most `MAX_ELSEWHERE`."""
    moments = [e.start for e in entries.values()] + list(elsewhere.values())
    if not moments:
        return {}
    cutoff = max(moments) - window - GRACE
    kept = sorted(((c, t) for c, t in elsewhere.items() if t >= cutoff), key=lambda p: (p[1], p[0]))
    return dict(kept[-MAX_ELSEWHERE:])


def _contacts_json(entries: Mapping[str, Entry]) -> str:
    contacts = [
        {
            "id": call_id,
            "start": entry.start.isoformat(),
            "recontacts": entry.recontacts,
            "recontacted": entry.recontacted,
        }
        for call_id, entry in sorted(entries.items(), key=lambda pair: (pair[1].start, pair[0]))
    ]
    return _json(contacts)


def _joined(encoded: Mapping[str, str]) -> str:
    """`_json` of the object whose members' JSON is `encoded` (by key), without encoding them again."""
    return "{" + ",".join(f"{_json(key)}:{encoded[key]}" for key in sorted(encoded)) + "}"


def _pruned(entries: dict[str, Entry], window: timedelta) -> dict[str, Entry]:
    if not entries:
        return entries
    cutoff = max(e.start for e in entries.values()) - window - GRACE
    kept = sorted(((c, e) for c, e in entries.items() if e.start >= cutoff), key=lambda p: (p[1].start, p[0]))
    return dict(kept[-MAX_ENTRIES:])
