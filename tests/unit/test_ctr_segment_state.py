"""A call's segments as stored in its state item: every field round-trips, old states still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from lambdas.ctr_ingest.contact_record import AgentSegment, Attributes, ContactRecord, QueueSegment
from lambdas.ctr_ingest.segment_state import decode, encode

AT = datetime(2026, 11, 23, 14, 15, 1, tzinfo=UTC)
RECORD = ContactRecord(
    contact_id="c-2",
    initial_contact_id="c-1",
    previous_contact_id="c-1",
    channel="VOICE",
    initiation_method="TRANSFER",
    initiation=AT,
    last_update=datetime(2026, 11, 23, 14, 30, tzinfo=UTC),
    disconnect_reason="AGENT_DISCONNECT",
    queue=QueueSegment("Billing", AT, AT, 30),
    agent=AgentSegment(AT, 120, 15, 25),
    transferred_to_endpoint=False,
    attributes=Attributes(
        outcome="QUEUED",
        route="AGENT",
        intent="BILLING",
        reasons=("VIP_CUSTOMER", "COMPLAINT"),
        queue="billing",
        csat=4,
        rule="vip-customer",
        variant="challenger",
        experiment="exp-2026-12",
    ),
    caller="0f" * 32,
    next_contact_id="c-3",
    caller_by_number=True,
)


def test_a_record_round_trips_through_the_stored_json() -> None:
    stored = json.loads(json.dumps(encode(RECORD)))  # as the state item keeps it
    assert decode(stored) == RECORD


def test_a_state_stored_before_the_decider_fields_reads_them_as_not_set() -> None:
    # Given a segment as states were written before rule, variant and experiment were kept
    stored = json.loads(json.dumps(encode(RECORD)))
    for name in ("rule", "variant", "experiment"):
        del stored["attributes"][name]
    old = decode(stored)
    assert (old.attributes.rule, old.attributes.variant, old.attributes.experiment) == ("", "", "")
    # Then everything else is as it was
    assert old.attributes.reasons == RECORD.attributes.reasons and old.agent == RECORD.agent
