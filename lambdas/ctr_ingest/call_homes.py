"""Where a call's state lives: in its caller's item (a single-segment call) or in its own item.

A record that is its whole call (`ContactRecord.single_segment`: the initial segment, no previous
and no next contact) and whose caller is keyed by its number is counted inside its caller's item
`CALLER#<hash>` (recontacts.py), beside that call's recontact index entry: one key read and one Put
per record, the common case. Every other call keeps its own state item `CALL#<initial contact id>`
(aggregates.py): calls with transfers, callers withheld, and chats (a CRM id is an attribute, which
a later version of the record may set or change; a number is fixed for the contact's life).

Every segment of a call computes the same home from its own record's ids and number, so a call has
one state, whatever the order, duplication or redelivery. One case can disagree: a version of an
initial segment without NextContactId (an earlier version, or Connect writing it before the
transfer) beside a transfer segment of the same call. So:

- when a record of a call with its own item is counted, the caller items of its segments' callers
  are read with it: a state of the call found there moves into the call's own item (its counted
  contribution and its flag with it, in the same transaction), and the call is listed in the caller
  item's `elsewhere`;
- a single-segment record whose caller item lists its call elsewhere, or knows the call without
  holding its state (an index entry from before states moved into caller items, or a state moved
  out for room), is counted in the call's own item, read in one more round (rare).

What stays unguarded: segments of one call that disagree on the caller *and* an initial-segment
version without NextContactId (the state may then be in a caller item no record of the transfer
names); and records arriving after their call's `elsewhere` mark was pruned (the window and a day
after the caller's newest contact; records arrive within a day).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lambdas.ctr_ingest.aggregates import unpacked
from lambdas.ctr_ingest.held_states import HeldStates
from lambdas.ctr_ingest.recontacts import CallerIndex, Settled


@dataclass(frozen=True)
class Place:
    """What the caller items need of one segment: its caller's key, when it started, and whether
    its record alone is its call."""

    caller: str
    start: datetime
    single: bool


@dataclass
class Stored:
    """A call's counted state as read, from its own item, its caller's item, or both (moving out)."""

    segments: list[dict[str, Any]]  # encoded segments (the codec's)
    contribution: dict[str, dict[str, int]]  # by flat counter key
    recontacted: bool
    revision: int = 0  # of the call's own item (0: none)
    start: str = ""  # ISO start, for a state held in a caller item

    @classmethod
    def from_own(cls, item: Mapping[str, Any] | None) -> Stored | None:
        if item is None:
            return None
        return cls(
            json.loads(item["segments"]["S"]),
            unpacked(json.loads(item["contribution"]["S"])),
            bool(item.get("recontacted", {}).get("BOOL")),
            int(item.get("revision", {}).get("N", "0")),
        )

    @classmethod
    def from_caller_item(cls, held: Mapping[str, Any]) -> Stored:
        return cls(
            list(held["segments"]),
            unpacked(held["contribution"]),
            bool(held["recontacted"]),
            start=str(held["start"]),
        )

    def merged(self, other: Stored, version: Callable[[dict[str, Any]], tuple[str, Any]]) -> Stored:
        """Both states as one: what both counted (the sum), each segment's newest version, either flag.
        `version(encoded segment)`: its contact id and its comparable version."""
        segments: dict[str, tuple[Any, dict[str, Any]]] = {}
        for segment in [*self.segments, *other.segments]:
            contact, moment = version(segment)
            if contact not in segments or moment > segments[contact][0]:
                segments[contact] = (moment, segment)
        summed: dict[str, dict[str, int]] = {k: dict(v) for k, v in self.contribution.items()}
        for key, counters in other.contribution.items():
            into = summed.setdefault(key, {})
            for name, amount in counters.items():
                into[name] = into.get(name, 0) + amount
        return Stored(
            [segment for _, segment in segments.values()],
            summed,
            self.recontacted or other.recontacted,
            self.revision,
            self.start,
        )


@dataclass
class Book:
    """A caller item being changed by one round: its index settled, the states it holds, the calls
    it lists elsewhere; `changed` when something other than the index changed."""

    index: CallerIndex
    states: HeldStates = field(default_factory=HeldStates)
    elsewhere: dict[str, datetime] = field(default_factory=dict)
    settled: Settled | None = None
    changed: bool = False

    @classmethod
    def of(cls, index: CallerIndex) -> Book:
        return cls(index, index.states.copy(), dict(index.elsewhere))

    def list_elsewhere(self, call_id: str, moment: datetime) -> None:
        if call_id not in self.elsewhere:
            self.elsewhere[call_id] = moment
            self.changed = True


class Links:
    """Which calls and caller items must be written in one transaction (a union-find)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, call_id: str, caller: str) -> None:
        self.parent[self.root(f"call:{call_id}")] = self.root(f"caller:{caller}")
