"""The Metrics table's shape: per-day counters by dimension, and each call's counted state.

Counters: pk `DIM#<dimension>`, sk `<YYYY-MM-DD>#<value>`, one item per (dimension, day, value),
with a number attribute per name in `lambdas.shared.kpi.COUNTERS`. A report over a date range
reads one Query per dimension (`pk = DIM#intent AND sk BETWEEN '2026-01-01#' AND '2026-12-31$'`),
never the calls. The `all` dimension has the single value `all`; what each dimension's values are
(rule, `<experiment>:<variant>`, `<queue>@HH:MM` …) is in classify.py.

Call state: the newest version seen of each contact segment, and the contributions this call has
added to the counters (so a newer version of a record replaces them by a delta, and an older or
repeated one changes nothing); the contribution is stored packed (`packed`: the counter keys that add
the same counters share one entry). The day is the call's first segment's initiation day in the centre's
time zone. A single-segment call's state is inside its caller's item; any other call's is its own
item, pk `CALL#<initial contact id>`, sk `STATE` (lambdas/ctr_ingest/call_homes.py).

Caller item: pk `CALLER#<keyed hash>`, sk `CONTACTS`: a caller's recent contacts and whether each
was recontacted, its single-segment calls' states, and `expiresAt` while it holds none
(lambdas/ctr_ingest/recontacts.py).

Refused records (`contact_record.Refusal`): pk `REFUSED#<YYYY-MM-DD>` (the day the record reached the
stream, in the centre's time zone), sk `<arrival time, UTC ISO>#<shard>:<sequence number>`, so a
redelivered record overwrites its own item and a day lists in arrival order. The item holds the
reason, the field, a hash of the contact id, whether the raw record reached the refused-records
queue, and `expiresAt` (the table's TTL attribute): `REFUSED_TTL_DAYS` after arrival. Never the
record or any value from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# The counter items' keys (`counter_key`) live with their reader, lambdas/shared/counters.py.
from lambdas.shared.counters import PK, SK

DIMENSIONS = ("all", "intent", "route", "queue", "reason", "rule", "variant", "interval")
ALL = "all"
NONE = "NONE"  # the value when a call has none for a dimension (no intent, never queued)

# The counters on each item, and the outcomes they count, are defined in lambdas/shared/kpi.py.


CALL_PREFIX, STATE_SK = "CALL#", "STATE"


def state_key(initial_contact_id: str) -> dict[str, str]:
    return {PK: f"{CALL_PREFIX}{initial_contact_id}", SK: STATE_SK}


REFUSED_PREFIX = "REFUSED#"
REFUSED_TTL_DAYS = 30


def refused_key(day: str, arrived: datetime, record_id: str) -> dict[str, str]:
    """`arrived` is aware; `record_id` is the Kinesis record's event id (shard and sequence number)."""
    return {PK: f"{REFUSED_PREFIX}{day}", SK: f"{iso_utc(arrived)}#{record_id}"}


def iso_utc(moment: datetime) -> str:
    """`2026-11-23T14:15:00.250Z`: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# What one call adds: (dimension, day, value) → counter name → amount (whole numbers).
Contribution = Mapping[tuple[str, str, str], Mapping[str, int]]


def packed(contribution: Mapping[str, Mapping[str, int]]) -> list[list[Any]]:
    """A call's contribution (by flat counter key) as its state stores it: the keys that add the same
    counters share one `[counters, [keys]]` entry. A call adds the same counters to each of its
    dimensions, so this is a fifth of the map by key that every read and write of its state carries."""
    groups: dict[tuple[tuple[str, int], ...], list[Any]] = {}
    for key in sorted(contribution):
        counters = contribution[key]
        groups.setdefault(tuple(sorted(counters.items())), [dict(counters), []])[1].append(key)
    return list(groups.values())


def unpacked(stored: Any) -> dict[str, dict[str, int]]:
    """The contribution by flat counter key, from `packed`'s form or the map by key that states
    written before it hold. Raises TypeError or ValueError when it is neither."""
    if isinstance(stored, dict):
        return {str(key): dict(counters) for key, counters in stored.items()}
    if not isinstance(stored, list):
        raise TypeError(f"a contribution is a list or an object, not {type(stored).__name__}")
    flat: dict[str, dict[str, int]] = {}
    for counters, keys in stored:
        if not isinstance(counters, dict) or not isinstance(keys, list):
            raise TypeError("a packed contribution entry is [counters, [keys]]")
        for key in keys:
            flat[str(key)] = dict(counters)
    return flat
