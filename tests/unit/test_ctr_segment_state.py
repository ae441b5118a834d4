"""A call's state as stored: every segment field and its contribution round-trip, old states still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.ctr_ingest.aggregates import packed, unpacked
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


counter_maps = st.dictionaries(
    st.sampled_from(["contacts", "contained", "handled", "handleSeconds", "csatSum"]),
    st.integers(-3, 10**6),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), counter_maps, max_size=10))
def test_a_packed_contribution_reads_back_as_it_was_written(flat: dict[str, dict[str, int]]) -> None:
    stored = json.loads(json.dumps(packed(flat), sort_keys=True))  # as a state item carries it
    assert unpacked(stored) == flat
    assert unpacked(json.loads(json.dumps(flat))) == flat  # the map by key states held before


def test_keys_adding_the_same_counters_are_stored_once() -> None:
    # An answered call's counters, as ctr_ingest adds them to each of its dimensions
    same = {"contacts": 1, "csatCount": 1, "csatSum": 5, "handleSeconds": 451, "handled": 1, "queued": 1}
    dimensions = ("all", "intent", "interval", "queue", "reason", "route", "rule")
    flat = {f"{dimension}|2026-11-26|x": dict(same) for dimension in dimensions}
    flat["variant|2026-11-26|exp:champion"] = {"contacts": 1}
    stored = packed(flat)
    assert len(stored) == 2 and sorted(len(keys) for _, keys in stored) == [1, 7]
    assert len(json.dumps(stored)) < len(json.dumps(flat)) / 2


@pytest.mark.parametrize("garbled", [None, 3, "text", [[{"contacts": 1}]], [["counters", ["all|d|all"]]]])
def test_a_contribution_that_is_neither_form_is_refused(garbled: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        unpacked(garbled)
