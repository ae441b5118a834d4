"""Contact trace records made from simulated calls: the stream's shape, and what ctr_ingest counts."""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lambdas.ctr_ingest.classify import CallSummary, latest_per_segment, summarise_call
from lambdas.ctr_ingest.contact_record import parse_record
from tandem.demo.contact_records import (
    ACW_SECONDS,
    HOLD_SECONDS,
    TALK_SECONDS,
    contact_records,
    kinesis_events,
    kinesis_records,
    oracle_outcome,
    stream_order,
)
from tandem.flows.simulator import LambdaCall, SimulationResult, Step
from tandem.local.sandbox import CONNECT_INSTANCE_ARN

NEW_YORK = ZoneInfo("America/New_York")
STARTED = datetime(2026, 11, 23, 10, 0, 30, 250_000, tzinfo=NEW_YORK)
CALLER = "+12025550107"
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
HOOKS = {
    hook: f"{CONNECT_INSTANCE_ARN}/contact-flow/{flow}"
    for hook, flow in (
        ("CustomerQueue", "customer_queue"),
        ("AgentWhisper", "agent_whisper"),
        ("CustomerRemaining", "post_call_survey"),
    )
}


def step(flow: str, kind: str, branch: str = "NextAction") -> Step:
    return Step(flow, f"{kind}-action", kind, branch)


MENU = [step("inbound_main", "MessageParticipant"), step("inbound_main", "GetParticipantInput", "Equals 1")]
SURVEY = [
    step("post_call_survey", "GetParticipantInput", "Equals 4"),
    step("post_call_survey", "InvokeLambdaFunction"),
    step("post_call_survey", "MessageParticipant"),
    step("post_call_survey", "DisconnectParticipant", ""),
]
QUEUED = [step("inbound_main", "TransferContactToQueue", "")]
WHISPER = [step("agent_whisper", "MessageParticipant"), step("agent_whisper", "EndFlowExecution", "")]


def escalation(wait: int) -> LambdaCall:
    return LambdaCall("inbound_main", "escalate", "escalation", {}, {"estimatedWaitSeconds": str(wait)})


def simulated(
    outcome: str,
    steps: list[Step],
    attributes: dict[str, str],
    *,
    queue: str = "",
    lambda_calls: tuple[LambdaCall, ...] = (),
    callback_number: str = "",
) -> SimulationResult:
    return SimulationResult(
        flow="inbound_main",
        contact_id="5f0c2b4e-0000-4000-8000-000000000001",
        steps=steps,
        lambda_calls=list(lambda_calls),
        prompts=[],
        outcome=outcome,
        queue=queue,
        priority=5 if queue else None,
        attributes=attributes,
        warnings=[],
        coverage={},
        callback_number=callback_number,
        hooks=dict(HOOKS),
    )


SELF_SERVED = simulated(
    "self-served",
    [*MENU, step("inbound_main", "TransferToFlow"), *SURVEY],
    {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS", "csat": "4"},
)
CLOSED = simulated(
    "closed",
    [*MENU, step("inbound_main", "DisconnectParticipant", "")],
    {"tandemOutcome": "CLOSED", "route": "CALLBACK", "reasons": "AFTER_HOURS_CALLBACK", "queue": "general"},
)
TO_AN_AGENT = simulated(
    "queued",
    [*MENU, *QUEUED, *WHISPER, *SURVEY],
    {
        "tandemOutcome": "QUEUED",
        "route": "AGENT",
        "intent": "COMPLAINT",
        "reasons": "VIP_CUSTOMER,COMPLAINT",
        "queue": "priority",
        "queueArn": f"{CONNECT_INSTANCE_ARN}/queue/queue-priority",
        "firstName": "Chloé",
        "csat": "2",
    },
    queue="priority",
    lambda_calls=(escalation(300),),
)
CALLBACK_IN_THE_FLOW = simulated(
    "callback",
    [*MENU, step("inbound_main", "CreateCallbackContact"), step("inbound_main", "DisconnectParticipant", "")],
    {"tandemOutcome": "CALLBACK", "route": "AGENT", "queue": "priority"},
    queue="callback",
    lambda_calls=(escalation(1500),),
    callback_number=CALLER,
)
CALLBACK_AFTER_HOLDING = simulated(
    "callback",
    [
        *MENU,
        *QUEUED,
        step("customer_queue", "MessageParticipant"),
        step("customer_queue", "GetParticipantInput", "Equals 1"),
        step("customer_queue", "CreateCallbackContact"),
        step("customer_queue", "DisconnectParticipant", ""),
    ],
    {"tandemOutcome": "CALLBACK", "route": "CALLBACK", "queue": "billing"},
    queue="callback",
    lambda_calls=(escalation(1500),),
    callback_number=CALLER,
)
NOT_CONNECTED = simulated(
    "disconnected",
    [*MENU, step("inbound_main", "DisconnectParticipant", "")],
    {"tandemOutcome": "NOT_CONNECTED", "route": "AGENT"},
)
ALL = {
    "self-served": SELF_SERVED,
    "closed": CLOSED,
    "to an agent": TO_AN_AGENT,
    "callback in the flow": CALLBACK_IN_THE_FLOW,
    "callback after holding": CALLBACK_AFTER_HOLDING,
    "not connected": NOT_CONNECTED,
}


def records_of(result: SimulationResult, seed: int = 1) -> list[dict[str, Any]]:
    return contact_records(result, started=STARTED, rng=random.Random(seed), caller=CALLER)


def summary_of(records: list[dict[str, Any]]) -> CallSummary:
    parsed = latest_per_segment(parse_record(json.dumps(r)) for r in records)
    return summarise_call(parsed, zone=NEW_YORK, service_level_seconds=20)


@pytest.mark.parametrize(
    ("name", "outcome", "queued", "handled"),
    [
        ("self-served", "contained", False, False),
        ("closed", "contained", False, False),
        ("to an agent", "transferred", True, True),
        ("callback in the flow", "callback", False, False),
        ("callback after holding", "callback", True, False),
        ("not connected", "error", False, False),
    ],
)
def test_each_outcome_parses_and_counts_as_the_simulator_said(
    name: str, outcome: str, queued: bool, handled: bool
) -> None:
    result = ALL[name]
    summary = summary_of(records_of(result))
    assert summary.outcome == outcome == oracle_outcome(result)
    assert (summary.queued, summary.handled) == (queued, handled)
    assert summary.initial_contact_id == result.contact_id
    assert summary.day == "2026-11-23"
    assert summary.route == result.attributes["route"]


def test_a_record_has_the_streams_shape() -> None:
    for result in ALL.values():
        for record in records_of(result):
            assert record["AWSContactTraceRecordFormatVersion"] == "2017-03-10"
            assert record["ContactId"] == result.contact_id and record["InitialContactId"] is None
            assert (record["Channel"], record["InitiationMethod"]) == ("VOICE", "INBOUND")
            times = [record[f"{n}Timestamp"] for n in ("Initiation", "ConnectedToSystem", "Disconnect")]
            assert all(TIMESTAMP.fullmatch(t) for t in [*times, record["LastUpdateTimestamp"]])
            assert times == sorted(times) and times[-1] <= record["LastUpdateTimestamp"]
            assert record["CustomerEndpoint"]["Address"] == CALLER
            assert all(isinstance(v, str) for v in record["Attributes"].values())
    # The start is kept to the second, in UTC
    assert records_of(SELF_SERVED)[0]["InitiationTimestamp"] == "2026-11-23T15:00:30Z"


def test_calls_that_stay_in_the_ivr_have_no_queue_or_agent_and_the_flow_hangs_up() -> None:
    for result in (SELF_SERVED, CLOSED, CALLBACK_IN_THE_FLOW):
        record = records_of(result)[-1]
        assert record["Queue"] is None and record["Agent"] is None
        assert record["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"


def test_a_call_to_an_agent_has_a_queue_and_realistic_agent_durations() -> None:
    for seed in range(40):
        record = records_of(TO_AN_AGENT, seed)[-1]
        queue, agent = record["Queue"], record["Agent"]
        assert queue["Name"] == "priority" and queue["ARN"].endswith("/queue/queue-priority")
        assert 0 <= queue["Duration"] <= 600  # escalation estimated 300 s
        assert queue["DequeueTimestamp"] == agent["ConnectedToAgentTimestamp"]
        assert TALK_SECONDS[0] <= agent["AgentInteractionDuration"] <= TALK_SECONDS[1]
        assert agent["CustomerHoldDuration"] == 0 or HOLD_SECONDS[0] <= agent["CustomerHoldDuration"]
        assert agent["CustomerHoldDuration"] <= HOLD_SECONDS[1]
        assert ACW_SECONDS[0] <= agent["AfterContactWorkDuration"] <= ACW_SECONDS[1]
        assert record["DisconnectReason"] == "AGENT_DISCONNECT"
        summary = summary_of([record])
        assert summary.handle_seconds == sum(
            agent[n] for n in ("AgentInteractionDuration", "CustomerHoldDuration", "AfterContactWorkDuration")
        )
        assert summary.queue_wait_seconds == queue["Duration"]


def test_a_caller_who_held_then_took_a_callback_left_the_queue_without_an_agent() -> None:
    record = records_of(CALLBACK_AFTER_HOLDING)[-1]
    assert record["Queue"]["Name"] == "billing"  # the queue waited in, not the callback queue
    assert record["Agent"] is None and record["Queue"]["Duration"] > 0


def test_the_same_rng_state_gives_the_same_records_and_another_seed_other_times() -> None:
    assert records_of(TO_AN_AGENT, 3) == records_of(TO_AN_AGENT, 3)
    assert records_of(TO_AN_AGENT, 3) != records_of(TO_AN_AGENT, 4)


def test_a_post_call_update_is_a_newer_version_with_the_rating_and_it_wins() -> None:
    # Some seeds give a rated call a second version; find one
    seed = next(s for s in range(100) if len(records_of(TO_AN_AGENT, s)) == 2)
    first, update = records_of(TO_AN_AGENT, seed)
    assert first["ContactId"] == update["ContactId"]
    assert "csat" not in first["Attributes"] and update["Attributes"]["csat"] == "2"
    assert update["LastUpdateTimestamp"] > first["LastUpdateTimestamp"]
    # Whichever order they arrive in, the newer version is the one counted
    assert summary_of([update, first]).csat == summary_of([first, update]).csat == 2
    assert stream_order([update, first]) == [first, update]
    # A call without a rating never gets one
    assert all(len(records_of(CLOSED, s)) == 1 for s in range(100))


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        contact_records(SELF_SERVED, started=datetime(2026, 11, 23, 10), rng=random.Random(1))


def test_records_go_in_kinesis_events_of_at_most_100() -> None:
    records = [
        {**records_of(SELF_SERVED)[0], "ContactId": f"5f0c2b4e-0000-4000-8000-{n:012d}"} for n in range(250)
    ]
    items = kinesis_records(records)
    events = kinesis_events(items)
    assert [len(e["Records"]) for e in events] == [100, 100, 50]
    assert len({i["kinesis"]["sequenceNumber"] for i in items}) == 250
    data = json.loads(base64.b64decode(events[2]["Records"][-1]["kinesis"]["data"]))
    assert data == records[-1]
    arrival = events[0]["Records"][0]["kinesis"]["approximateArrivalTimestamp"]
    assert arrival > datetime(2026, 11, 23, 15, tzinfo=UTC).timestamp()  # after the record, not now
