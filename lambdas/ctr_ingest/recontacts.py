"""The recontact index: each caller's recent contacts, and which of them were recontacted.

A contact is *recontacted* when the same caller (`ContactRecord.caller`, a keyed hash) starts
another contact that can recontact (its first segment is INBOUND, or API on the CHAT channel: not a
transfer, a callback or an outbound call) with a different initial contact id, after it and at most
the window after it. A contact's start is its first segment's initiation; it is recontacted or not,
at most once, so in A → B → C, B recontacts A and C recontacts B.

One item per caller, pk `CALLER#<hash>`, sk `CONTACTS`: `contacts` (JSON: per contact its initial
contact id, start, whether it can recontact, and whether it was counted as recontacted), a
`revision`, and `expiresAt` (the table's TTL attribute) = the newest start + the window + a day.
Contacts that started more than the window and a day before the newest are pruned: no contact that
could still recontact them is expected (records arrive within a day of one another). `CounterStore`
(call_counters.py) reads the item with the call states and writes it, conditioned on its revision,
in the same transaction as the states whose flag it changes, so each flag is counted exactly once.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from lambdas.shared.counters import PK, SK

CALLER_PREFIX, INDEX_SK = "CALLER#", "CONTACTS"
GRACE = timedelta(days=1)  # how late a contact's record may arrive after its caller's newest and still match
# A caller item holds at most this many contacts (about 100 bytes each, far under DynamoDB's 400 KB
# item limit); beyond it the oldest go first. Only a number shared by many callers comes near it.
MAX_ENTRIES = 2000


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
        return cls(caller, int(item["revision"]["N"]), entries)

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

    def item(self, entries: Mapping[str, Entry], window: timedelta) -> dict[str, Any]:
        """The item to Put (typed), at the next revision."""
        newest = max(e.start for e in entries.values())  # never empty: the newest is never pruned
        contacts = [
            {
                "id": call_id,
                "start": entry.start.isoformat(),
                "recontacts": entry.recontacts,
                "recontacted": entry.recontacted,
            }
            for call_id, entry in sorted(entries.items(), key=lambda pair: (pair[1].start, pair[0]))
        ]
        return {
            **{name: {"S": value} for name, value in index_key(self.caller).items()},
            "type": {"S": "CALLER_CONTACTS"},
            "revision": {"N": str(self.revision + 1)},
            "contacts": {"S": json.dumps(contacts, separators=(",", ":"))},
            "expiresAt": {"N": str(int((newest + window + GRACE).timestamp()))},
        }


def _pruned(entries: dict[str, Entry], window: timedelta) -> dict[str, Entry]:
    if not entries:
        return entries
    cutoff = max(e.start for e in entries.values()) - window - GRACE
    kept = sorted(((c, e) for c, e in entries.items() if e.start >= cutoff), key=lambda p: (p[1].start, p[0]))
    return dict(kept[-MAX_ENTRIES:])
