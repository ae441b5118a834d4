"""What a call counts as: outcome, measures, dimensions and the counters it adds."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.ctr_ingest import aggregates
from lambdas.ctr_ingest.aggregates import ALL, NONE
from lambdas.ctr_ingest.classify import (
    CallSummary,
    contribution,
    latest_per_segment,
    summarise_call,
)
from lambdas.ctr_ingest.contact_record import ContactRecord, parse_record
from lambdas.shared import kpi
from lambdas.shared.kpi import OUTCOME_COUNTERS

NEW_YORK = ZoneInfo("America/New_York")
SERVICE_LEVEL = 20
CALL = "a1b2c3d4-0000-4000-8000-000000000001"
SECOND = "a1b2c3d4-0000-4000-8000-000000000002"
CALLBACK_LEG = "a1b2c3d4-0000-4000-8000-000000000003"


def ctr(
    contact_id: str = CALL,
    *,
    start: str = "2025-03-04T14:15:01Z",
    updated: str = "2025-03-04T14:25:00Z",
    initial: str | None = None,
    previous: str | None = None,
    method: str = "INBOUND",
    reason: str | None = "CUSTOMER_DISCONNECT",
    queue: dict[str, Any] | None = None,
    agent: dict[str, Any] | None = None,
    attributes: dict[str, str] | None = None,
    transferred_to: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A voice CTR as the Kinesis stream carries it (docs/connect-facts.md §3), caller's number included."""
    return {
        "AWSAccountId": "111122223333",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "InstanceARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "ContactId": contact_id,
        "InitialContactId": initial,
        "PreviousContactId": previous,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": method,
        "InitiationTimestamp": start,
        "ConnectedToSystemTimestamp": start,
        "DisconnectTimestamp": max(start, updated),  # never before the initiation (that is refused)
        "LastUpdateTimestamp": updated,
        "DisconnectReason": reason,
        "CustomerEndpoint": {"Address": "+12025550143", "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
        "Queue": queue,
        "Agent": agent,
        "AgentConnectionAttempts": 1 if agent else 0,
        "Attributes": attributes or {},
        "TransferredToEndpoint": transferred_to,
        "Recording": None,
        "MediaStreams": [{"Type": "AUDIO"}],
    }


def record(contact_id: str = CALL, **fields: Any) -> ContactRecord:
    return parse_record(json.dumps(ctr(contact_id, **fields)))


def summarise(*segments: ContactRecord, zone: ZoneInfo = NEW_YORK) -> CallSummary:
    return summarise_call(segments, zone=zone, service_level_seconds=SERVICE_LEVEL)


def dims(summary: CallSummary) -> dict[str, list[str]]:
    """Dimension → the values the call counts under."""
    found: dict[str, list[str]] = {}
    for dimension, _day, value in contribution(summary):
        found.setdefault(dimension, []).append(value)
    return found


def only_counters(summary: CallSummary) -> dict[str, int]:
    """The counters every key of the contribution carries (they are the same for every key)."""
    counters = [dict(value) for value in contribution(summary).values()]
    assert all(c == counters[0] for c in counters)
    return counters[0]


BILLING_QUEUE = {
    "ARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa/queue/q-billing",
    "Name": "Billing",
    "EnqueueTimestamp": "2025-03-04T14:16:10Z",
    "DequeueTimestamp": "2025-03-04T14:16:55Z",
    "Duration": 45,
}
AGENT = {
    "ARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa/agent/ag-1",
    "Username": "ana.lopez",
    "ConnectedToAgentTimestamp": "2025-03-04T14:16:55Z",
    "AgentInteractionDuration": 145,
    "CustomerHoldDuration": 20,
    "AfterContactWorkDuration": 35,
}


# --- one test per outcome ---------------------------------------------------------------------


def test_self_served_call_is_contained() -> None:
    # Given a call the IVR answered: no queue, no agent, tandemOutcome SELF_SERVED and a rating
    segment = record(
        reason="CONTACT_FLOW_DISCONNECT",
        attributes={
            "tandemOutcome": "SELF_SERVED",
            "route": "SELF_SERVICE",
            "intent": "ORDER_STATUS",
            "reasons": "",
            "csat": "5",
            "ruleId": "routine-self-service",
            "variant": "champion",
            "experimentId": "",
            "firstName": "Ana",
        },
    )
    summary = summarise(segment)
    assert summary.outcome == "contained"
    # Then every dimension value gets exactly these counters, on the call's local day (14:15 UTC is
    # 09:15 in New York: the 09:00 half-hour)
    expected = {"contacts": 1, "contained": 1, "resolved": 1, "csatCount": 1, "csatSum": 5, "csat5": 1}
    assert contribution(summary) == {
        ("all", "2025-03-04", "all"): expected,
        ("intent", "2025-03-04", "ORDER_STATUS"): expected,
        ("route", "2025-03-04", "SELF_SERVICE"): expected,
        ("queue", "2025-03-04", NONE): expected,
        ("reason", "2025-03-04", NONE): expected,
        ("rule", "2025-03-04", "routine-self-service"): expected,
        ("variant", "2025-03-04", "none:champion"): expected,
        ("interval", "2025-03-04", "NONE@09:00"): expected,
    }
    # And when the caller came back within the window, it is recontacted and no longer resolved
    came_back = {"contacts": 1, "contained": 1, "recontacted": 1, "csatCount": 1, "csatSum": 5, "csat5": 1}
    recontacted = contribution(summary, recontacted=True)
    assert set(recontacted) == set(contribution(summary))
    assert all(counters == came_back for counters in recontacted.values())


def test_caller_hanging_up_in_the_ivr_is_contained_with_no_dimension_values() -> None:
    summary = summarise(record(reason="CUSTOMER_DISCONNECT"))
    assert summary.outcome == "contained"
    assert dims(summary) == {
        "all": [ALL],
        "intent": [NONE],
        "route": [NONE],
        "queue": [NONE],
        "reason": [NONE],
        "rule": [NONE],
        "variant": [NONE],
        "interval": ["NONE@09:00"],
    }
    assert only_counters(summary) == {"contacts": 1, "contained": 1, "resolved": 1}
    # A contained call its caller came back about is recontacted, not resolved
    recontacted = contribution(summary, recontacted=True)[("all", summary.day, ALL)]
    assert recontacted == {"contacts": 1, "contained": 1, "recontacted": 1}


def test_reference_example_is_transferred_with_handle_time_and_queue_wait() -> None:
    # The example record of docs/connect-facts.md §3.4, written out (InitiationTimestamp missing, as there).
    data = """{ "AWSAccountId": "111122223333", "AWSContactTraceRecordFormatVersion": "2017-03-10",
      "ContactId": "11111111-2222-3333-4444-555555555555", "InitialContactId": null, "NextContactId": null,
      "Channel": "VOICE", "InitiationMethod": "INBOUND", "DisconnectReason": "CUSTOMER_DISCONNECT",
      "ConnectedToSystemTimestamp": "2025-03-04T09:15:02Z", "LastUpdateTimestamp": "2025-03-04T09:21:05Z",
      "Queue": { "Name": "Billing", "EnqueueTimestamp": "2025-03-04T09:16:10Z",
                 "DequeueTimestamp": "2025-03-04T09:16:55Z", "Duration": 45 },
      "Agent": { "AgentInteractionDuration": 145, "CustomerHoldDuration": 20,
                 "AfterContactWorkDuration": 35 },
      "Attributes": { "ivrOutcome": "escalated" }, "TransferredToEndpoint": null }"""
    summary = summarise(parse_record(data))
    assert summary.outcome == "transferred"
    assert (summary.handle_seconds, summary.queue_wait_seconds) == (145 + 20 + 35, 45)
    assert summary.queue == "billing"  # no queue attribute: the queue's name as a slug
    assert only_counters(summary) == {
        "contacts": 1,
        "transferred": 1,
        "handled": 1,
        "handleSeconds": 200,
        "handleSecondsSquared": 200 * 200,
        "queued": 1,
        "queueWaitSeconds": 45,
        "queueWaitSecondsSquared": 45 * 45,
    }  # 45 s > 20 s: not answered within the service level


def test_agent_transfer_creates_a_second_segment_joined_by_initial_contact_id() -> None:
    # Given the first agent transfers the caller to the billing queue, where a second agent answers
    first = record(
        updated="2025-03-04T14:20:00Z",
        queue={**BILLING_QUEUE, "Name": "General", "Duration": 12},
        agent={
            **AGENT,
            "AgentInteractionDuration": 60,
            "CustomerHoldDuration": 0,
            "AfterContactWorkDuration": 10,
        },
        reason="AGENT_DISCONNECT",
        attributes={
            "tandemOutcome": "QUEUED",
            "route": "AGENT",
            "intent": "BILLING_DISPUTE",
            "queue": "general",
        },
    )
    second = record(
        SECOND,
        start="2025-03-04T14:18:00Z",
        updated="2025-03-04T14:30:00Z",
        initial=CALL,
        previous=CALL,
        method="TRANSFER",
        queue={
            "Name": "Billing",
            "EnqueueTimestamp": "2025-03-04T14:18:01Z",
            "DequeueTimestamp": "2025-03-04T14:18:31Z",
            "Duration": 30,
        },
        agent={
            **AGENT,
            "AgentInteractionDuration": 120,
            "CustomerHoldDuration": 15,
            "AfterContactWorkDuration": 25,
        },
        attributes={
            "tandemOutcome": "QUEUED",
            "route": "AGENT",
            "intent": "BILLING_DISPUTE",
            "queue": "billing",
        },
    )
    assert second.initial_contact_id == first.contact_id
    summary = summarise(first, second)
    # Then it is one call, transferred, with both agents' time and both queue waits
    assert summary.initial_contact_id == CALL
    assert summary.outcome == "transferred"
    assert summary.handle_seconds == (60 + 0 + 10) + (120 + 15 + 25)
    assert summary.queue_wait_seconds == 12 + 30
    assert summary.queue == "billing"  # the newest segment's queue code
    assert not summary.answered_in_threshold  # 42 s in queue in all
    assert contribution(summarise(second, first)) == contribution(summary)
    assert only_counters(summary)["contacts"] == 1


def test_queued_call_with_no_agent_is_abandoned() -> None:
    # Given a caller who hung up while queued (no Duration: the wait comes from the timestamps)
    segment = record(
        queue={
            "Name": "General",
            "EnqueueTimestamp": "2025-03-04T14:16:10Z",
            "DequeueTimestamp": "2025-03-04T14:19:40Z",
        },
        attributes={
            "tandemOutcome": "QUEUED",
            "route": "AGENT",
            "queue": "general",
            "reasons": "ASKED_FOR_AGENT",
        },
    )
    summary = summarise(segment)
    assert summary.outcome == "abandoned"
    assert only_counters(summary) == {
        "contacts": 1,
        "abandoned": 1,
        "queued": 1,
        "queueWaitSeconds": 210,
        "queueWaitSecondsSquared": 210 * 210,
    }


def test_callback_taken_from_the_queue_is_a_callback_not_abandoned() -> None:
    # Given the customer-queue flow offered a callback and the caller took it, then hung up
    inbound = record(
        queue={**BILLING_QUEUE, "DequeueTimestamp": "2025-03-04T14:26:10Z", "Duration": 600},
        reason="CONTACT_FLOW_DISCONNECT",
        attributes={"tandemOutcome": "CALLBACK", "route": "AGENT", "queue": "billing"},
    )
    summary = summarise(inbound)
    assert summary.outcome == "callback"
    assert only_counters(summary) == {
        "contacts": 1,
        "callbacks": 1,
        "queued": 1,
        "queueWaitSeconds": 600,
        "queueWaitSecondsSquared": 600 * 600,
    }


def test_callback_leg_answered_by_an_agent_stays_a_callback_and_counts_handle_time() -> None:
    inbound = record(
        queue={**BILLING_QUEUE, "Duration": 600},
        reason="CONTACT_FLOW_DISCONNECT",
        attributes={"tandemOutcome": "CALLBACK", "queue": "billing"},
    )
    leg = record(
        CALLBACK_LEG,
        start="2025-03-04T14:26:12Z",
        updated="2025-03-04T14:50:00Z",
        initial=CALL,
        previous=CALL,
        method="CALLBACK",
        queue={**BILLING_QUEUE, "EnqueueTimestamp": "2025-03-04T14:27:51Z", "Duration": 300},
        agent=AGENT,
        attributes={"queue": "billing"},  # even without the flow's mark, the initiation method says so
    )
    summary = summarise(inbound, leg)
    assert summary.outcome == "callback"
    assert (summary.handled, summary.handle_seconds) == (True, 200)
    assert only_counters(summary)["callbacks"] == 1
    assert "transferred" not in only_counters(summary)


def test_flow_that_could_not_queue_the_call_is_an_error() -> None:
    # Given the queue was at capacity: a working queue was set, the transfer failed, no enqueue time
    segment = record(
        queue={"Name": "Billing", "EnqueueTimestamp": None, "DequeueTimestamp": None, "Duration": None},
        reason="CONTACT_FLOW_DISCONNECT",
        attributes={"tandemOutcome": "NOT_CONNECTED", "route": "AGENT", "queue": "billing"},
    )
    summary = summarise(segment)
    assert summary.outcome == "error"
    assert not summary.queued
    assert only_counters(summary) == {"contacts": 1, "errors": 1}
    assert dims(summary)["queue"] == ["billing"]


def test_telecom_problem_in_the_ivr_is_an_error() -> None:
    summary = summarise(record(reason="TELECOM_PROBLEM", attributes={"intent": "ORDER_STATUS"}))
    assert summary.outcome == "error"
    assert only_counters(summary) == {"contacts": 1, "errors": 1}


@pytest.mark.parametrize("served", ["SELF_SERVED", "CLOSED"])
def test_telecom_problem_after_the_ivr_served_the_caller_is_contained(served: str) -> None:
    summary = summarise(record(reason="TELECOM_PROBLEM", attributes={"tandemOutcome": served}))
    assert summary.outcome == "contained"


def test_telecom_problem_while_queued_is_abandoned_as_connect_counts_it() -> None:
    segment = record(reason="TELECOM_PROBLEM", queue=BILLING_QUEUE, attributes={"tandemOutcome": "QUEUED"})
    assert summarise(segment).outcome == "abandoned"


def test_external_transfer_from_the_ivr_is_transferred_without_handle_time() -> None:
    segment = record(transferred_to={"Address": "+13125550199", "Type": "TELEPHONE_NUMBER"})
    summary = summarise(segment)
    assert summary.outcome == "transferred"
    assert only_counters(summary) == {"contacts": 1, "transferred": 1}


def test_agent_seen_only_by_its_timestamp_or_its_talk_time_is_connected() -> None:
    by_time = record(agent={"ConnectedToAgentTimestamp": "2025-03-04T14:16:55Z"}, queue=BILLING_QUEUE)
    by_talk = record(agent={"AgentInteractionDuration": 1}, queue=BILLING_QUEUE)
    missed = record(agent={"AgentInteractionDuration": 0}, queue=BILLING_QUEUE)
    assert summarise(by_time).outcome == "transferred"
    assert summarise(by_talk).outcome == "transferred"
    assert summarise(missed).outcome == "abandoned"


# --- versions, measures, days, dimensions ------------------------------------------------------


def test_newest_last_update_wins_per_segment() -> None:
    # Given the record as first sent, then again after the post-call survey added a rating
    first_sent = record(updated="2025-03-04T14:25:00Z", attributes={"tandemOutcome": "SELF_SERVED"})
    rated = record(updated="2025-03-04T14:26:30Z", attributes={"tandemOutcome": "SELF_SERVED", "csat": "4"})
    other = record(SECOND, initial=CALL, start="2025-03-04T14:20:00Z", updated="2025-03-04T14:21:00Z")
    # When they arrive in any order, repeated
    for batch in ([first_sent, rated, other], [rated, other, first_sent, first_sent], [other, rated, rated]):
        latest = latest_per_segment(batch)
        # Then each segment's newest version is kept, once
        assert sorted(r.contact_id for r in latest) == [CALL, SECOND]
        assert next(r for r in latest if r.contact_id == CALL) is rated
    assert summarise(*latest_per_segment([rated, first_sent, other])).csat == 4


def test_a_tie_on_last_update_keeps_the_first_record_seen() -> None:
    one = record(attributes={"intent": "ORDER_STATUS"})
    two = record(attributes={"intent": "RETURNS"})
    assert latest_per_segment([one, two]) == [one]
    assert latest_per_segment([two, one]) == [two]


def test_handle_time_adds_talk_hold_and_acw_and_missing_parts_are_zero() -> None:
    full = record(agent={**AGENT, "AgentInteractionDuration": 300, "CustomerHoldDuration": 42.4})
    partial = record(
        SECOND,
        initial=CALL,
        start="2025-03-04T14:30:00Z",
        agent={"ConnectedToAgentTimestamp": "2025-03-04T14:31:00Z", "AgentInteractionDuration": 90},
    )
    summary = summarise(full, partial)
    assert summary.handle_seconds == (300 + 42 + 35) + 90
    assert only_counters(summary)["handled"] == 1  # one call, however many agents


def test_queue_wait_uses_duration_then_timestamps_then_zero() -> None:
    timed = record(queue={**BILLING_QUEUE, "Duration": 50})
    by_stamps = record(
        SECOND,
        initial=CALL,
        start="2025-03-04T14:30:00Z",
        queue={
            "Name": "Billing",
            "EnqueueTimestamp": "2025-03-04T14:30:05Z",
            "DequeueTimestamp": "2025-03-04T14:30:17.6Z",
        },
    )
    no_end = record(
        CALLBACK_LEG,
        initial=CALL,
        start="2025-03-04T14:40:00Z",
        queue={"Name": "Billing", "EnqueueTimestamp": "2025-03-04T14:40:05Z", "Duration": None},
    )
    summary = summarise(timed, by_stamps, no_end)
    assert summary.queue_wait_seconds == 50 + 13 + 0
    assert summary.queued


@pytest.mark.parametrize(("wait", "answered"), [(0, True), (19, True), (20, True), (21, False)])
def test_service_level_counts_a_wait_equal_to_the_threshold(wait: int, answered: bool) -> None:
    segment = record(queue={**BILLING_QUEUE, "Duration": wait}, agent=AGENT)
    summary = summarise(segment)
    assert summary.answered_in_threshold is answered
    assert only_counters(summary).get("answeredInThreshold", 0) == int(answered)


def test_unanswered_or_unqueued_calls_are_never_in_threshold() -> None:
    abandoned = record(queue={**BILLING_QUEUE, "Duration": 3})
    direct = record(agent=AGENT)  # an agent without a queue (a direct transfer): no service level
    assert not summarise(abandoned).answered_in_threshold
    assert not summarise(direct).answered_in_threshold


def test_day_is_the_first_segments_local_date_across_midnight_utc() -> None:
    # Given a call at 23:50 in New York on 4 March, which is 04:50 UTC on 5 March
    first = record(start="2025-03-05T04:50:00Z", updated="2025-03-05T05:20:00Z")
    # And its second segment starting after local midnight
    second = record(SECOND, initial=CALL, start="2025-03-05T05:05:00Z", updated="2025-03-05T05:30:00Z")
    summary = summarise(second, first)
    assert summary.day == "2025-03-04"
    assert {day for _, day, _ in contribution(summary)} == {"2025-03-04"}
    assert summarise(first, zone=ZoneInfo("UTC")).day == "2025-03-05"
    assert summarise(first, zone=ZoneInfo("Asia/Tokyo")).day == "2025-03-05"


def test_day_uses_the_earliest_segment_when_the_first_is_not_among_them() -> None:
    later = record(SECOND, initial=CALL, start="2025-03-05T05:05:00Z")
    earlier = record(CALLBACK_LEG, initial=CALL, start="2025-03-05T04:55:00Z")
    assert summarise(later, earlier).day == "2025-03-04"


def test_day_follows_the_initial_segment_even_when_another_started_earlier() -> None:
    # Clock skew between segments should not move the call: the initial contact decides
    initial = record(start="2025-03-05T05:01:00Z")
    skewed = record(SECOND, initial=CALL, start="2025-03-05T04:59:00Z")
    assert summarise(initial, skewed).day == "2025-03-05"


def test_several_reasons_count_the_call_under_each() -> None:
    segment = record(
        queue=BILLING_QUEUE,
        agent=AGENT,
        attributes={
            "route": "AGENT",
            "intent": "COMPLAINT",
            "reasons": "VIP_CUSTOMER,COMPLAINT",
            "csat": "2",
        },
    )
    summary = summarise(segment)
    parts = contribution(summary)
    assert dims(summary)["reason"] == ["VIP_CUSTOMER", "COMPLAINT"]
    # Each reason carries the whole call; every other dimension adds up to `all`
    totals = {dimension: Counter[str]() for dimension in aggregates.DIMENSIONS}
    for (dimension, _day, _value), counters in parts.items():
        totals[dimension].update(counters)
    assert totals["reason"]["contacts"] == 2
    assert totals["reason"]["csatSum"] == 4
    for dimension in ("intent", "route", "queue", "rule", "variant", "interval"):
        assert totals[dimension] == totals["all"]


def test_queue_dimension_prefers_the_code_then_the_queue_name() -> None:
    coded = record(queue={**BILLING_QUEUE, "Name": "Tier 2 Billing"}, attributes={"queue": "priority"})
    named = record(queue={**BILLING_QUEUE, "Name": " Tier 2 — Billing! "})
    assert summarise(coded).queue == "priority"
    assert summarise(named).queue == "tier-2-billing"
    assert summarise(record(queue={**BILLING_QUEUE, "Name": "???"})).queue == NONE


def test_rule_and_variant_are_the_newest_set_and_the_variant_keeps_its_experiment() -> None:
    # Given a decision in an experiment, then a transfer segment whose flow set only another rule
    first = record(
        attributes={"ruleId": "vip-customer", "variant": "challenger", "experimentId": "exp-2026-12"}
    )
    second = record(
        SECOND, initial=CALL, start="2025-03-04T14:20:00Z", attributes={"ruleId": "fallback", "variant": ""}
    )
    summary = summarise(first, second)
    assert (summary.rule, summary.variant) == ("fallback", "exp-2026-12:challenger")
    # A newer variant comes with its own experiment, never with an older segment's
    third = record(
        CALLBACK_LEG, initial=CALL, start="2025-03-04T14:25:00Z", attributes={"variant": "champion"}
    )
    assert summarise(first, second, third).variant == "none:champion"


def test_two_experiments_challengers_never_merge() -> None:
    def variant(experiment: str, name: str) -> str:
        return summarise(record(attributes={"variant": name, "experimentId": experiment})).variant

    values = {
        variant("exp-2026-12", "challenger"),
        variant("exp-2027-01", "challenger"),
        variant("", "challenger"),
        variant("", "champion"),
        variant("exp-2026-12", "champion"),
    }
    assert values == {
        "exp-2026-12:challenger",
        "exp-2027-01:challenger",
        "none:challenger",
        "none:champion",
        "exp-2026-12:champion",
    }
    # No variant attribute at all (calls from before variants): NONE, not a champion
    assert summarise(record(attributes={"ruleId": "x-rule"})).variant == NONE


@pytest.mark.parametrize(
    ("start", "zone", "half_hour"),
    [
        ("2025-03-04T14:15:01Z", NEW_YORK, "09:00"),
        ("2025-03-04T14:29:59Z", NEW_YORK, "09:00"),
        ("2025-03-04T14:30:00Z", NEW_YORK, "09:30"),
        ("2025-03-04T04:59:59Z", NEW_YORK, "23:30"),  # the day before, local: its last half-hour
        ("2025-03-04T05:00:00Z", NEW_YORK, "00:00"),
        ("2025-07-04T14:45:00Z", NEW_YORK, "10:30"),  # summer time: UTC-4
        ("2025-03-04T14:45:00Z", ZoneInfo("Asia/Kolkata"), "20:00"),  # a half-hour offset (UTC+5:30)
    ],
)
def test_interval_is_the_queue_and_the_local_half_hour_the_call_started(
    start: str, zone: ZoneInfo, half_hour: str
) -> None:
    queued = record(
        start=start, updated="2025-07-05T00:00:00Z", queue=BILLING_QUEUE, attributes={"queue": "billing"}
    )
    summary = summarise(queued, zone=zone)
    assert summary.interval == f"billing@{half_hour}"
    # The interval's day is the call's day
    assert {day for dimension, day, _ in contribution(summary) if dimension == "interval"} == {summary.day}
    # Never queued: NONE@ the half-hour, so every call counts there
    assert (
        summarise(record(start=start, updated="2025-07-05T00:00:00Z"), zone=zone).interval
        == f"NONE@{half_hour}"
    )


def test_interval_counts_arrivals_handled_abandoned_and_handle_time_per_queue() -> None:
    answered = record(queue=BILLING_QUEUE, agent=AGENT, attributes={"queue": "billing"})
    dropped = record(SECOND, queue=BILLING_QUEUE, attributes={"queue": "billing"})
    totals: Counter[str] = Counter()
    for call in (answered, dropped):
        for (dimension, _day, value), counters in contribution(summarise(call)).items():
            if (dimension, value) == ("interval", "billing@09:00"):
                totals.update(counters)
    assert (totals["queued"], totals["handled"], totals["abandoned"]) == (2, 1, 1)
    assert (totals["handleSeconds"], totals["handleSecondsSquared"]) == (200, 200 * 200)


def test_newest_segment_codes_win_and_unset_codes_do_not_erase_older_ones() -> None:
    first = record(
        attributes={"intent": "ORDER_STATUS", "route": "AGENT", "reasons": "ASKED_FOR_AGENT", "csat": "3"}
    )
    second = record(
        SECOND,
        initial=CALL,
        start="2025-03-04T14:20:00Z",
        attributes={"intent": "RETURNS", "route": "", "reasons": "", "csat": "nine"},
    )
    summary = summarise(first, second)
    assert (summary.intent, summary.route, summary.reasons, summary.csat) == (
        "RETURNS",
        "AGENT",
        ("ASKED_FOR_AGENT",),
        3,
    )


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([], "at least one segment"),
        ([record(), record(SECOND)], "belong to 2 calls"),
        ([record(), record(updated="2025-03-04T15:00:00Z")], "latest_per_segment"),
    ],
)
def test_summarise_call_refuses_what_is_not_one_call(segments: list[ContactRecord], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        summarise(*segments)


def test_outcome_counters_match_the_aggregates_shape() -> None:
    assert set(OUTCOME_COUNTERS) == set(kpi.OUTCOMES)
    assert set(OUTCOME_COUNTERS.values()) <= set(kpi.COUNTERS)
    rich = record(
        queue={**BILLING_QUEUE, "Duration": 5}, agent=AGENT, attributes={"csat": "5", "reasons": "A,B"}
    )
    for key, counters in contribution(summarise(rich)).items():
        assert key[0] in aggregates.DIMENSIONS
        assert set(counters) <= set(kpi.COUNTERS)
        assert all(isinstance(amount, int) and amount > 0 for amount in counters.values())


# --- property: order and repetition do not change what a call adds ------------------------------

BASE = datetime(2025, 3, 4, 3, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def segment_versions(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    """Every version of one segment, oldest first, with strictly increasing LastUpdateTimestamp."""
    contact_id = CALL if index == 0 else f"a1b2c3d4-0000-4000-8000-00000000010{index}"
    start = BASE + timedelta(minutes=draw(st.integers(0, 60 * 24)))
    versions = []
    updated = start + timedelta(minutes=1)
    for _ in range(draw(st.integers(1, 3))):
        updated += timedelta(seconds=draw(st.integers(1, 600)))
        enqueued = draw(st.booleans())
        queue = (
            {
                "Name": draw(st.sampled_from(["Billing", "General", "Tier 2"])),
                "EnqueueTimestamp": _stamp(start + timedelta(seconds=30)) if enqueued else None,
                "Duration": draw(st.one_of(st.none(), st.integers(0, 900), st.floats(0, 900))),
            }
            if draw(st.booleans())
            else None
        )
        agent = (
            {
                "ConnectedToAgentTimestamp": draw(st.sampled_from([None, _stamp(start)])),
                "AgentInteractionDuration": draw(st.integers(0, 900)),
                "CustomerHoldDuration": draw(st.one_of(st.none(), st.integers(0, 120))),
                "AfterContactWorkDuration": draw(st.integers(0, 120)),
            }
            if draw(st.integers(0, 2)) == 0  # an agent in a third of segments
            else None
        )
        attributes = {
            "tandemOutcome": draw(
                st.sampled_from(
                    ["", "", "SELF_SERVED", "QUEUED", "QUEUED", "CLOSED", "NOT_CONNECTED", "CALLBACK"]
                )
            ),
            "intent": draw(st.sampled_from(["", "ORDER_STATUS", "RETURNS"])),
            "route": draw(st.sampled_from(["", "AGENT", "SELF_SERVICE"])),
            "queue": draw(st.sampled_from(["", "billing", "general"])),
            "reasons": ",".join(
                draw(st.lists(st.sampled_from(["VIP_CUSTOMER", "COMPLAINT", "ASKED_FOR_AGENT"])))
            ),
            "csat": draw(st.sampled_from(["", "1", "3", "5", "x"])),
        }
        versions.append(
            ctr(
                contact_id,
                start=_stamp(start),
                updated=_stamp(updated),
                initial=None if index == 0 else CALL,
                method=draw(st.sampled_from([*["INBOUND", "TRANSFER", "QUEUE_TRANSFER"] * 3, "CALLBACK"])),
                reason=draw(st.sampled_from([None, "CUSTOMER_DISCONNECT", "TELECOM_PROBLEM"])),
                queue=queue,
                agent=agent,
                attributes=attributes,
                transferred_to=draw(
                    st.sampled_from([*[None] * 5, {"Type": "TELEPHONE_NUMBER", "Address": "+1"}])
                ),
            )
        )
    return versions


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the newest version of each segment, every version delivered: repeated and shuffled)."""
    segments = [draw(segment_versions(index)) for index in range(draw(st.integers(1, 3)))]
    newest = [versions[-1] for versions in segments]
    delivered = [version for versions in segments for version in versions]
    delivered += draw(st.lists(st.sampled_from(delivered), max_size=5))  # at-least-once: repeats
    return newest, draw(st.permutations(delivered))


@settings(max_examples=200, deadline=None)
@given(calls(), st.sampled_from([0, 20, 60]))
def test_contribution_ignores_segment_order_repeats_and_stale_versions(
    call: tuple[list[dict[str, Any]], list[dict[str, Any]]], service_level: int
) -> None:
    newest, delivered = call

    def counted(segments: list[ContactRecord]) -> Any:
        summary = summarise_call(segments, zone=NEW_YORK, service_level_seconds=service_level)
        return contribution(summary)

    expected = counted([parse_record(json.dumps(raw)) for raw in newest])
    assert counted(latest_per_segment(parse_record(json.dumps(raw)) for raw in delivered)) == expected
    assert counted([parse_record(json.dumps(raw)) for raw in reversed(newest)]) == expected
    assert sum(counters["contacts"] for (dim, _, _), counters in expected.items() if dim == ALL) == 1
