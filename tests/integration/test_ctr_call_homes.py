"""Where ctr_ingest keeps a call's state (lambdas/ctr_ingest/call_homes.py), through the real handler
on the sandbox: a single-segment call's in its caller's item, any other call's in its own item, and
each call counted once whatever its records' versions say, in whatever order they come.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ctr_ingest import recontacts
from lambdas.ctr_ingest.call_counters import CounterStore
from lambdas.ctr_ingest.handler import make_codec
from tandem.local import Sandbox, sandbox
from tandem.replay.outcomes import read_outcomes
from tests.integration.test_ctr_recontacts import (
    NEW_YORK,
    SELF_SERVED,
    X,
    Y,
    all_counters,
    contact,
    contact_id,
    ingest,
    ingest_in_batches,
    parsed,
    recontacted,
    scan,
    store,
    wipe,
)

AGENT = {"tandemOutcome": "QUEUED", "route": "AGENT", "intent": "BILLING", "queue": "billing"}


def then(record: dict[str, Any], *, next_contact: int | None = None, minutes: int = 0) -> dict[str, Any]:
    """A later version of `record`: updated `minutes` later, naming its next segment."""
    later = dict(record)
    if next_contact is not None:
        later["NextContactId"] = contact_id(next_contact)
    if minutes:
        updated = record["LastUpdateTimestamp"]
        later["LastUpdateTimestamp"] = updated[:14] + f"{int(updated[14:16]) + minutes:02d}" + updated[16:]
    return later


def homes(box: Sandbox) -> dict[str, list[str]]:
    """Initial contact id → where its state is: `own` (its item) and/or `caller` (once per caller item)."""
    found: dict[str, list[str]] = {}
    for item in scan(box):
        pk = item["pk"]["S"]
        if pk.startswith("CALL#"):
            found.setdefault(pk.removeprefix("CALL#"), []).append("own")
        elif pk.startswith("CALLER#") and "states" in item:
            for call_id in json.loads(item["states"]["S"]):
                found.setdefault(call_id, []).append("caller")
    return found


def each_call_has_one_state(box: Sandbox) -> None:
    assert all(len(places) == 1 for places in homes(box).values()), homes(box)


# --- a call's records disagreeing on whether it has segments -------------------------------------

FIRST = contact(1, X, "2025-03-04T14:00:00Z")  # X's earlier call: the transferred call recontacts it
ALONE = contact(2, X, "2025-03-05T14:00:00Z", attributes=AGENT)  # a first version without NextContactId
NAMED = then(ALONE, next_contact=22, minutes=20)  # the version after the transfer names its next segment
TRANSFER = contact(22, X, "2025-03-05T14:05:00Z", method="TRANSFER", initial=2, attributes=AGENT)


def test_an_initial_segment_that_gains_a_next_contact_is_counted_once_in_every_order() -> None:
    with sandbox(attach=False) as box:
        ingest(box, FIRST, NAMED, TRANSFER)
        expected = all_counters(box)
        assert homes(box) == {contact_id(1): ["caller"], contact_id(2): ["own"]}
        assert recontacted(box) == {("2025-03-04", "all"): 1}
        for order in itertools.permutations([ALONE, NAMED, TRANSFER]):
            wipe(box)
            for record in [FIRST, *order]:
                ingest(box, record)
            assert all_counters(box) == expected, order
            each_call_has_one_state(box)
            assert homes(box)[contact_id(2)] == ["own"], order
            # The first version again, after all of it: the caller item sends it to the call's own item
            ingest(box, ALONE, FIRST)
            assert all_counters(box) == expected, order


def test_a_first_version_counted_in_the_caller_item_moves_out_with_what_it_counted(box: Sandbox) -> None:
    ingest(box, FIRST, ALONE)
    assert homes(box)[contact_id(2)] == ["caller"]
    ingest(box, TRANSFER)  # the transfer segment arrives: the call's state moves to its own item
    assert homes(box)[contact_id(2)] == ["own"]
    day = all_counters(box)[("all", "2025-03-05", "all")]
    assert day["contacts"] == 1  # moved, not counted again


def test_a_chat_whose_customer_id_comes_in_a_later_version_is_counted_once() -> None:
    crm = SELF_SERVED | {"customerId": "CUST-1001"}
    anonymous = contact(7, None, "2025-03-04T14:00:00Z", method="API", channel="CHAT")
    known = contact(7, None, "2025-03-04T14:00:00Z", method="API", channel="CHAT", attributes=crm)
    known["LastUpdateTimestamp"] = "2025-03-04T14:30:00Z"
    with sandbox(attach=False) as box:
        for order in ([anonymous, known], [known, anonymous]):
            wipe(box)
            for record in order:
                ingest(box, record)
            assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == 1
            assert homes(box) == {contact_id(7): ["own"]}  # a CRM id may change: never a caller item's


# --- states written before they moved into caller items -------------------------------------------


def test_a_call_counted_in_its_own_item_before_the_change_is_not_counted_again(box: Sandbox) -> None:
    earlier = contact(1, X, "2025-03-04T14:00:00Z")
    later = contact(2, X, "2025-03-05T13:00:00Z")
    before = replace(make_codec(NEW_YORK, 20), place=lambda segment: None)  # the layout before
    old = CounterStore(box.client("dynamodb"), box.table_names["METRICS_TABLE"], before)
    assert not old.ingest(parsed(earlier)).failed_items
    assert homes(box) == {contact_id(1): ["own"]}
    # Redelivered after the deploy, with the call that recontacts it
    result = store(box).ingest(parsed(earlier, later))
    assert (result.applied, result.unchanged, result.failed_items) == (1, 1, set())
    assert homes(box) == {contact_id(1): ["own"], contact_id(2): ["caller"]}
    assert recontacted(box) == {("2025-03-04", "all"): 1}
    assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == 1


# --- a caller item at its size limit ---------------------------------------------------------------


def test_a_caller_item_at_its_limit_moves_its_oldest_states_out_and_counts_each_call_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = [contact(n, X, f"2025-03-{4 + n:02d}T14:00:00Z") for n in range(6)]  # a call a day
    with sandbox(attach=False) as box:
        ingest(box, *calls)
        expected = all_counters(box)
    monkeypatch.setattr(recontacts, "ITEM_BYTES", 4000)  # about two states
    with sandbox(attach=False) as box:
        for record in calls:
            ingest(box, record)
        where = homes(box)
        assert where[contact_id(5)] == ["caller"] and where[contact_id(0)] == ["own"]
        each_call_has_one_state(box)
        ingest(box, *reversed(calls))  # everything again: nothing counts twice
        assert all_counters(box) == expected
        assert sum(recontacted(box).values()) == 5
        # And the replay reads every call's outcome, wherever its state is
        outcomes = read_outcomes(box.client("dynamodb"), box.table_names["METRICS_TABLE"], homes(box))
        assert len(outcomes) == 6 and outcomes[contact_id(0)].recontacted


# --- any order, any batches, single- and multi-segment calls of the same callers --------------------

MIXED = [
    FIRST,
    ALONE,
    NAMED,
    TRANSFER,
    contact(3, X, "2025-03-06T14:00:00Z"),
    then(contact(3, X, "2025-03-06T14:00:00Z", attributes=SELF_SERVED | {"csat": "5"}), minutes=30),
    then(contact(4, Y, "2025-03-04T15:00:00Z", attributes=AGENT), next_contact=44),
    contact(44, Y, "2025-03-04T15:04:00Z", method="TRANSFER", initial=4, attributes=AGENT),
    contact(5, Y, "2025-03-04T20:00:00Z"),
    contact(6, "anonymous", "2025-03-04T21:00:00Z"),  # withheld: its own item, never recontacted
]
MIXED_RECONTACTED = {("2025-03-04", "all"): 2, ("2025-03-05", "all"): 1}


def test_the_mixed_calls_counted_in_one_batch() -> None:
    with sandbox(attach=False) as box:
        ingest(box, *MIXED)
        assert recontacted(box) == MIXED_RECONTACTED
        assert homes(box) == {
            contact_id(1): ["caller"],
            contact_id(2): ["own"],
            contact_id(3): ["caller"],
            contact_id(4): ["own"],
            contact_id(5): ["caller"],
            contact_id(6): ["own"],
        }


@functools.cache
def mixed_reference() -> dict[tuple[str, str, str], dict[str, int]]:
    with sandbox(attach=False) as box:
        ingest(box, *MIXED)
        return all_counters(box)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    duplicates=st.lists(st.integers(0, len(MIXED) - 1), max_size=5),
    cuts=st.lists(st.integers(0, len(MIXED) + 5), max_size=4),
)
def test_mixed_single_and_multi_segment_calls_in_any_order_and_batches_give_the_same_counters(
    seed: int, duplicates: list[int], cuts: list[int]
) -> None:
    expected = mixed_reference()
    delivered = MIXED + [MIXED[i] for i in duplicates]
    random.Random(seed).shuffle(delivered)
    with sandbox(attach=False) as box:
        ingest_in_batches(box, delivered, cuts)
        assert recontacted(box) == MIXED_RECONTACTED
        assert all_counters(box) == expected
        each_call_has_one_state(box)
