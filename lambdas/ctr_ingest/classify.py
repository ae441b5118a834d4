"""What one call counts as: its outcome, measures and dimension values, from its segments' records.

A call is every segment sharing one initial contact id. `summarise_call` takes the latest version of
each segment (`latest_per_segment` picks them from records that repeat or arrive out of order:
delivery is at least once) and sorts them by initiation, then last update, then contact id. That
order is total, so the summary never depends on the order the records arrived in; "the newest
segment" below means the last in it.

Outcome (one of `lambdas.shared.kpi.OUTCOMES`): the first rule of `kpi.outcome` that matches, from
these facts of the call's segments.

1. callback: a segment's tandemOutcome is CALLBACK, or a segment was initiated by CALLBACK. Ahead
   of transferred because the agent who calls back connects on the callback segment, yet what the
   caller chose was the callback (that agent's time still counts as handle time). The initiation
   method also catches callbacks the flows did not mark (one an agent or the API created).
2. transferred: an agent connected in a segment (`Agent.ConnectedToAgentTimestamp`, or, when that
   is missing as in docs/connect-facts.md §3.4, an `AgentInteractionDuration` above zero), or a segment
   was transferred to an external number (`TransferredToEndpoint`): either way the call left the IVR
   for a person. So `handled` (agent time) can be below `transferred`.
3. abandoned: a segment entered a queue (`Queue.EnqueueTimestamp`). AWS's own definition, so the
   count matches Connect's, line drops while queued included. A `Queue` with no enqueue time (a
   working queue set, then the transfer failed) is not queued.
4. error: a segment's tandemOutcome is NOT_CONNECTED (the flow could not queue the call), or a
   segment's DisconnectReason is TELECOM_PROBLEM and no segment's tandemOutcome is SELF_SERVED or
   CLOSED (when it is, the IVR had already served the caller before the line failed).
5. contained: anything else; the call ended in the IVR (self-served, closed, or hung up there).

Measures (each defined in `lambdas.shared.kpi`): handle time is the sum, over segments where an
agent connected, of each one's handle time. Queue wait is the sum over queued segments of each
one's wait. Answered in threshold: queued, an agent connected, and the total queue wait at most
the service level. CSAT: the newest segment's rating that is set.

Dimensions: intent and route are the newest segment's codes that are set; queue is the newest
`queue` attribute code, else the newest queue name as a slug (`Tier 2 Billing` → `tier-2-billing`);
reasons are the newest segment's reason list that is set. rule is the newest segment's `ruleId` that
is set. variant is `<experimentId or "none">:<variant>` of the newest segment whose `variant` is set
(`none:champion`, `exp-2026-12:challenger`: the experiment is part of the value, so two experiments'
challengers never merge). interval is `<queue value>@HH:MM`: the call's queue value and the half-hour
(00:00, 00:30 … 23:30) of the first segment's initiation in the centre's time zone; every call has
one (`NONE@10:30` when it never queued), so a queue's arrivals in a half-hour are the `contacts` of
its interval value and its handled and abandoned calls and handle time are there too. A value that
is not set is `aggregates.NONE`. The day is the first segment's initiation date in the centre's time
zone (the segment whose id is the initial contact id, else the earliest).

Every dimension value the call has gets the same counters, so each dimension's values add up to the
`all` totals, except reason: a call with several reasons counts in full under each of them.
`contribution(summary, recontacted)` adds the recontact flag (decided by ctr_ingest's counting, not
from the call's own records) to those counters: `recontacted`, and `resolved` when the call was
contained and not recontacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

from lambdas.ctr_ingest.aggregates import ALL, NONE, Contribution
from lambdas.ctr_ingest.contact_record import ContactRecord
from lambdas.shared import kpi

SERVED_IN_IVR = ("SELF_SERVED", "CLOSED")
NO_EXPERIMENT = "none"  # the variant value's experiment part when no experiment ran (none:champion)
SLUG_OUTSIDE = re.compile(r"[^a-z0-9]+")
T = TypeVar("T")  # Python 3.11: no `def f[T]` syntax yet


@dataclass(frozen=True)
class CallSummary:
    initial_contact_id: str
    day: str  # YYYY-MM-DD in the centre's time zone
    outcome: str  # one of kpi.OUTCOMES
    intent: str
    route: str
    queue: str
    reasons: tuple[str, ...]  # at least one value (NONE when the call has none)
    rule: str
    variant: str  # <experiment or "none">:<variant>, or NONE
    interval: str  # <queue>@HH:MM, the half-hour the call started in, local time
    handled: bool
    handle_seconds: int
    queued: bool
    queue_wait_seconds: int
    answered_in_threshold: bool
    csat: int | None


def latest_per_segment(records: Iterable[ContactRecord]) -> list[ContactRecord]:
    """Per contact id, the record with the newest last update (on a tie, the first seen)."""
    latest: dict[str, ContactRecord] = {}
    for record in records:
        kept = latest.get(record.contact_id)
        if kept is None or record.last_update > kept.last_update:
            latest[record.contact_id] = record
    return list(latest.values())


def summarise_call(
    segments: Sequence[ContactRecord], *, zone: tzinfo, service_level_seconds: int
) -> CallSummary:
    """The call's outcome, measures and dimension values (rules in the module docstring)."""
    ordered = _ordered(segments)
    if service_level_seconds < 0:
        raise ValueError(f"service_level_seconds must be 0 or more, got {service_level_seconds}")
    agent_segments = [segment for segment in ordered if _agent_connected(segment)]
    queued_segments = [segment for segment in ordered if segment.queue and segment.queue.enqueued]
    queue_wait = sum(_queue_wait(segment) for segment in queued_segments)
    queue = _queue_value(ordered)
    return CallSummary(
        initial_contact_id=ordered[0].initial_contact_id,
        day=_day(ordered, zone),
        outcome=_outcome(ordered, agent=bool(agent_segments), queued=bool(queued_segments)),
        intent=_newest(segment.attributes.intent for segment in ordered) or NONE,
        route=_newest(segment.attributes.route for segment in ordered) or NONE,
        queue=queue,
        reasons=_newest(segment.attributes.reasons for segment in ordered) or (NONE,),
        rule=_newest(segment.attributes.rule for segment in ordered) or NONE,
        variant=_variant(ordered),
        interval=f"{queue}@{_half_hour(_first(ordered).initiation, zone)}",
        handled=bool(agent_segments),
        handle_seconds=sum(_handle_seconds(segment) for segment in agent_segments),
        queued=bool(queued_segments),
        queue_wait_seconds=queue_wait,
        answered_in_threshold=kpi.answered_in_threshold(
            queued=bool(queued_segments),
            answered=bool(agent_segments),
            wait_seconds=queue_wait,
            threshold_seconds=service_level_seconds,
        ),
        csat=_newest(segment.attributes.csat for segment in ordered),
    )


def contribution(summary: CallSummary, recontacted: bool = False) -> Contribution:
    """What the call adds to each (dimension, day, value) counter item; zero counters left out.

    `recontacted`: the caller came back within the recontact window (lambdas/ctr_ingest/recontacts.py).
    """
    nonzero = kpi.call_counters(
        outcome=summary.outcome,
        handle_seconds=summary.handle_seconds if summary.handled else None,
        queue_wait_seconds=summary.queue_wait_seconds if summary.queued else None,
        answered_in_threshold=summary.answered_in_threshold,
        csat=summary.csat,
        recontacted=recontacted,
    )
    values = [
        (ALL, ALL),
        ("intent", summary.intent),
        ("route", summary.route),
        ("queue", summary.queue),
        *(("reason", reason) for reason in summary.reasons),
        ("rule", summary.rule),
        ("variant", summary.variant),
        ("interval", summary.interval),
    ]
    # One copy per key, so a caller that changes one item's counters cannot change another's.
    return {(dimension, summary.day, value): dict(nonzero) for dimension, value in values}


def _ordered(segments: Sequence[ContactRecord]) -> list[ContactRecord]:
    if not segments:
        raise ValueError("a call needs at least one segment")
    calls = {segment.initial_contact_id for segment in segments}
    if len(calls) > 1:
        raise ValueError(f"segments belong to {len(calls)} calls, expected one")
    if len({segment.contact_id for segment in segments}) < len(segments):
        raise ValueError("segments repeat a contact id; pass them through latest_per_segment first")
    return sorted(segments, key=lambda segment: (segment.initiation, segment.last_update, segment.contact_id))


def _outcome(ordered: list[ContactRecord], *, agent: bool, queued: bool) -> str:
    outcomes = {segment.attributes.outcome for segment in ordered}
    return kpi.outcome(
        callback="CALLBACK" in outcomes
        or any(segment.initiation_method == "CALLBACK" for segment in ordered),
        to_person=agent or any(segment.transferred_to_endpoint for segment in ordered),
        queued=queued,
        not_connected="NOT_CONNECTED" in outcomes,
        line_failed=any(segment.disconnect_reason == "TELECOM_PROBLEM" for segment in ordered),
        served_in_ivr=not outcomes.isdisjoint(SERVED_IN_IVR),
    )


def _agent_connected(segment: ContactRecord) -> bool:
    agent = segment.agent
    return agent is not None and (agent.connected_at is not None or (agent.interaction or 0) > 0)


def _handle_seconds(segment: ContactRecord) -> int:
    agent = segment.agent
    return 0 if agent is None else kpi.handle_seconds(agent.interaction, agent.hold, agent.acw)


def _queue_wait(segment: ContactRecord) -> int:
    queue = segment.queue
    return 0 if queue is None else kpi.queue_wait_seconds(queue.duration, queue.enqueued, queue.dequeued)


def _queue_value(ordered: list[ContactRecord]) -> str:
    code = _newest(segment.attributes.queue for segment in ordered)
    if code:
        return code
    names = (segment.queue.name if segment.queue else "" for segment in ordered)
    return _newest(_slug(name) for name in names) or NONE


def _slug(name: str) -> str:
    return SLUG_OUTSIDE.sub("-", name.lower()).strip("-")[:32].strip("-")


def _newest(values: Iterable[T]) -> T | None:
    """The last value that is set (not None, not empty), in segment order."""
    found: T | None = None
    for value in values:
        if value:
            found = value
    return found


def _variant(ordered: list[ContactRecord]) -> str:
    """The newest segment's variant that is set, with that same segment's experiment."""
    decided = _newest(segment.attributes for segment in ordered if segment.attributes.variant)
    if decided is None:
        return NONE
    return f"{decided.experiment or NO_EXPERIMENT}:{decided.variant}"


def _first(ordered: list[ContactRecord]) -> ContactRecord:
    """The segment whose id is the call's initial contact id, else the earliest."""
    return next((s for s in ordered if s.contact_id == s.initial_contact_id), ordered[0])


def _day(ordered: list[ContactRecord], zone: tzinfo) -> str:
    return _local_date(_first(ordered).initiation, zone)


def _half_hour(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.hour:02d}:{30 if local.minute >= 30 else 0:02d}"


def _local_date(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).date().isoformat()
