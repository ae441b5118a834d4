"""The caller key made while parsing, and the recontact index's flags, without DynamoDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lambdas.ctr_ingest import recontacts
from lambdas.ctr_ingest.contact_record import parse_record
from lambdas.ctr_ingest.held_states import HeldStates
from lambdas.ctr_ingest.recontacts import MAX_ENTRIES, CallerIndex, Contact, contact_of, fit
from lambdas.shared.keyed_hash import CALLBACK, CALLER, KeyedHasher
from tests.unit.test_ctr_classify import ctr

HASHER = KeyedHasher(b"k" * 40)
NUMBER = "+12025550143"  # ctr()'s caller
WINDOW = timedelta(hours=72)
T0 = datetime(2025, 3, 4, 14, tzinfo=UTC)


def caller_of(record: dict[str, object]) -> str | None:
    return parse_record(json.dumps(record), lambda value: HASHER.digest(CALLER, value)).caller


def with_endpoint(
    address: str | None, kind: str = "TELEPHONE_NUMBER", **attributes: str
) -> dict[str, object]:
    record = ctr(attributes=attributes or None)
    record["CustomerEndpoint"] = None if address is None else {"Address": address, "Type": kind}
    return record


def test_the_caller_key_is_the_keyed_hash_of_the_number_never_the_number() -> None:
    key = caller_of(ctr())
    assert key == HASHER.digest(CALLER, f"tel:{NUMBER}")
    assert key != HASHER.digest(CALLBACK, f"tel:{NUMBER}")  # its own purpose: no join with claims
    assert "2025550143" not in repr(parse_record(json.dumps(ctr()), lambda v: HASHER.digest(CALLER, v)))
    assert parse_record(json.dumps(ctr())).caller is None  # no hasher, no key


@pytest.mark.parametrize(
    "address", ["anonymous", "Restricted", "", "+266696687", "12025550143", "+1 202 555 0143", "+0123", "+1"]
)
def test_withheld_anonymous_and_malformed_numbers_have_no_caller_key(address: str) -> None:
    # Even with a CRM customer id: a withheld number is never somebody
    assert caller_of(with_endpoint(address, customerId="CUST-1")) is None


def test_a_contact_without_a_number_is_keyed_by_its_crm_customer_id() -> None:
    chat = caller_of(with_endpoint(None, customerId="CUST-1"))
    assert chat == HASHER.digest(CALLER, "crm:CUST-1")
    assert caller_of(with_endpoint("participant-1", "CONTACT_FLOW", customerId="CUST-1")) == chat
    assert caller_of(with_endpoint(None)) is None
    assert caller_of(with_endpoint(None, customerId="free text, not an id")) is None


def contact(hours: float, *, recontacts: bool = True) -> Contact:
    return Contact("c", T0 + timedelta(hours=hours), recontacts)


def test_a_contact_is_recontacted_by_a_later_recontacting_one_within_the_window() -> None:
    settled = CallerIndex("c", 0, {}).settle(
        {"a": contact(0), "b": contact(72), "c": contact(72.5, recontacts=False), "d": contact(200)},
        WINDOW,
    )
    # b is 72 h after a (the window's end counts); c is no inbound call; nothing is within 72 h of d
    assert settled.flags == {"a": True, "b": False, "c": False, "d": False}
    # b started more than the window and a day before d: pruned, and a with it
    assert set(settled.entries) == {"d"}


def test_an_arrival_flips_earlier_entries_once_and_flags_never_clear() -> None:
    first = CallerIndex("c", 0, {}).settle({"a": contact(0), "x": contact(1, recontacts=False)}, WINDOW)
    index = CallerIndex("c", 1, first.entries)
    second = index.settle({"b": contact(10)}, WINDOW)
    assert second.flipped == {"a", "x"} and second.changed
    again = CallerIndex("c", 2, second.entries).settle({"b": contact(10)}, WINDOW)  # redelivered
    assert again.flipped == set() and not again.changed
    narrower = CallerIndex("c", 2, second.entries).settle({}, timedelta(minutes=1))
    assert narrower.flags["a"] and narrower.flags["x"]


def test_the_index_keeps_at_most_its_limit_newest_first() -> None:
    arrivals = {f"k{n}": contact(n / 1000) for n in range(MAX_ENTRIES + 5)}
    settled = CallerIndex("c", 0, {}).settle(arrivals, WINDOW)
    assert len(settled.entries) == MAX_ENTRIES and "k0" not in settled.entries
    item = CallerIndex("c", 0, {}).item(settled.entries, WINDOW)
    newest = T0 + timedelta(hours=(MAX_ENTRIES + 4) / 1000)
    assert int(item["expiresAt"]["N"]) == int((newest + WINDOW + timedelta(days=1)).timestamp())


def test_only_the_first_segment_makes_the_contact() -> None:
    hash_caller = lambda value: HASHER.digest(CALLER, value)  # noqa: E731
    transfer = parse_record(json.dumps(ctr("t1", initial="i1", method="TRANSFER")), hash_caller)
    assert contact_of([transfer]) is None  # the first segment is not known yet
    first = parse_record(json.dumps(ctr("i1")), hash_caller)
    made = contact_of([transfer, first])
    assert made is not None and made.recontacts and made.caller == first.caller


def held_state(hours: float) -> dict[str, object]:
    """A call state as a caller item holds it (about 1.3 KB, as a real one with its dimensions)."""
    start = (T0 + timedelta(hours=hours)).isoformat()
    contribution = {f"dimension{n}|2025-03-04|value": {"contacts": 1, "contained": 1} for n in range(20)}
    return {
        "start": start,
        "segments": [{"contactId": "x" * 36}],
        "contribution": contribution,
        "recontacted": False,
    }


def read_member(member: object) -> object:
    """A state as a caller item's `states` object holds it: `[start, state JSON]`."""
    start, text = json.loads(member) if isinstance(member, str) else member
    state = json.loads(text)
    assert state["start"] == start
    return state


def test_a_caller_item_keeps_its_newest_states_within_its_limit_and_moves_out_the_oldest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    states = {f"s{n}": held_state(n) for n in range(10)}
    kept, moving = fit({}, HeldStates.of(states), {}, WINDOW)
    assert {call_id: read_member(text) for call_id, text in kept.items()} == states and moving == []
    size = len(json.dumps({"s0": HeldStates.of(states).member("s0")}, separators=(",", ":")))
    monkeypatch.setattr(recontacts, "ITEM_BYTES", 3 * size + 100)
    kept, moving = fit({}, HeldStates.of(states), {}, WINDOW)
    assert set(kept) == {"s7", "s8", "s9"} and moving == [f"s{n}" for n in range(7)]


def test_a_caller_item_moves_out_the_states_its_index_no_longer_reaches() -> None:
    # Contacts at 0 h and 100 h: the index reaches back the window (72 h) and a day from 100 h, to 4 h
    entries = CallerIndex("c", 0, {}).settle({"old": contact(0), "new": contact(100)}, WINDOW).entries
    states = HeldStates.of({"old": held_state(0), "recent": held_state(5), "new": held_state(100)})
    kept, moving = fit(entries, states, {}, WINDOW)
    assert set(kept) == {"recent", "new"} and moving == ["old"]


def test_an_item_holding_call_states_has_no_ttl_and_one_without_has_the_window_and_a_day() -> None:
    entries = CallerIndex("c", 0, {}).settle({"a": contact(0)}, WINDOW).entries
    index = CallerIndex("c", 0, {})
    assert "expiresAt" not in index.item(entries, WINDOW, {"a": json.dumps(["0", json.dumps(held_state(0))])})
    listed = index.item(entries, WINDOW, {}, {"b": T0 + timedelta(hours=5)})
    expected = T0 + timedelta(hours=5) + WINDOW + timedelta(days=1)  # the newest of entries and listed
    assert int(listed["expiresAt"]["N"]) == int(expected.timestamp())
    read = CallerIndex.from_item("c", listed)
    assert read.elsewhere == {"b": T0 + timedelta(hours=5)} and read.states == {}


def test_a_single_segment_record_goes_to_its_calls_own_item_only_when_the_caller_item_says_so() -> None:
    entries = CallerIndex("c", 0, {}).settle({"old": contact(0), "held": contact(1)}, WINDOW).entries
    index = CallerIndex(
        "c", 3, entries, {"held": held_state(1)}, {"moved": T0}, spilled=T0 + timedelta(hours=2)
    )
    assert not index.state_elsewhere("held", T0)  # its state is here
    assert index.state_elsewhere("old", T0)  # an entry without a state: written before states moved in
    assert index.state_elsewhere("moved", T0 + timedelta(days=1))  # a transfer's call
    assert index.state_elsewhere("early", T0 + timedelta(hours=2))  # moved out for room
    assert not index.state_elsewhere("new", T0 + timedelta(hours=3))  # never seen: counted here


def test_a_caller_items_states_are_the_json_of_what_it_keeps_and_within_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    states = {f"s{n}": held_state(n) for n in range(12)}
    monkeypatch.setattr(recontacts, "ITEM_BYTES", 5_000)
    entries = CallerIndex("c", 0, {}).settle({"s11": contact(11)}, WINDOW).entries
    kept, _ = fit(entries, HeldStates.of(states), {}, WINDOW)
    item = CallerIndex("c", 0, {}).item(entries, WINDOW, kept)
    written = item["states"]["S"]
    assert {c: read_member(m) for c, m in json.loads(written).items()} == {c: states[c] for c in kept}
    assert written == json.dumps(json.loads(written), separators=(",", ":"), sort_keys=True)
    assert len(written) + len(item["contacts"]["S"]) <= recontacts.ITEM_BYTES
