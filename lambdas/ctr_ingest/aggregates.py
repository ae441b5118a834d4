"""The Metrics table's shape: per-day counters by dimension, and each call's counted state.

Counters: pk `DIM#<dimension>`, sk `<YYYY-MM-DD>#<value>`, one item per (dimension, day, value),
with a number attribute per name in `COUNTERS`. A report over a date range reads one Query per
dimension (`pk = DIM#intent AND sk BETWEEN '2026-01-01#' AND '2026-12-31$'`), never the calls.
The `all` dimension has the single value `all`.

Call state: pk `CALL#<initial contact id>`, sk `STATE`: the newest `LastUpdateTimestamp` seen per
contact segment, and the contributions this call has added to the counters (so a newer version
of a record replaces them by a delta, and an older or repeated one changes nothing). The day is the
call's first segment's initiation day in the centre's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping

from lambdas.shared.tables import METRICS

PK, SK = METRICS.partition_key.name, METRICS.sort_key.name  # type: ignore[union-attr]

DIMENSIONS = ("all", "intent", "route", "queue", "reason")
ALL = "all"
NONE = "NONE"  # the value when a call has none for a dimension (no intent, never queued)

# What each call adds to the counters of its day, for each dimension value it has.
COUNTERS = (
    "contacts",  # calls (initial contact ids), whatever became of them
    "contained",  # ended in the IVR: no queue, no agent, no external transfer, not an error
    "transferred",  # reached an agent
    "abandoned",  # queued, never reached an agent, no callback
    "callbacks",  # took a callback (tandemOutcome CALLBACK)
    "errors",  # the flow could not serve the call (NOT_CONNECTED, a telecom problem)
    "handled",  # calls with agent handle time (the AHT denominator)
    "handleSeconds",  # agent interaction + customer hold + after-contact work
    "queued",  # calls that entered a queue (the queue wait and service-level denominator)
    "queueWaitSeconds",  # time in queue
    "answeredInThreshold",  # queued calls an agent answered within the service-level threshold
    "csatCount",  # calls with a post-call rating
    "csatSum",  # sum of those ratings (1..5)
)

OUTCOMES = ("contained", "transferred", "abandoned", "callback", "error")


def counter_key(dimension: str, day: str, value: str) -> dict[str, str]:
    return {PK: f"DIM#{dimension}", SK: f"{day}#{value}"}


def state_key(initial_contact_id: str) -> dict[str, str]:
    return {PK: f"CALL#{initial_contact_id}", SK: "STATE"}


def split_counter_sk(sk: str) -> tuple[str, str]:
    """`2026-11-23#ORDER_STATUS` → ("2026-11-23", "ORDER_STATUS")."""
    day, _, value = sk.partition("#")
    return day, value


def day_range(start: str, end: str) -> tuple[str, str]:
    """The sk bounds that select every value of every day from `start` to `end` (inclusive)."""
    return f"{start}#", f"{end}$"  # "$" sorts right after "#": every value of the last day


# What one call adds: (dimension, day, value) → counter name → amount (whole numbers).
Contribution = Mapping[tuple[str, str, str], Mapping[str, int]]
