"""A caller item's call states: decoded on first use, written back as read when untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lambdas.ctr_ingest.held_states import HeldStates, canonical_json
from lambdas.ctr_ingest.recontacts import CallerIndex, Contact, fit

WINDOW = timedelta(hours=72)
T0 = datetime(2026, 11, 23, 14, tzinfo=UTC)


def state(hours: int) -> dict[str, object]:
    return {
        "start": (T0 + timedelta(hours=hours)).isoformat(),
        "segments": [{"contactId": f"c{hours}"}],
        "contribution": [[{"contacts": 1}, ["all|2026-11-23|all"]]],
        "recontacted": False,
    }


def written(states: dict[str, dict[str, object]]) -> str:
    """The `states` attribute of the caller item these states make."""
    arrivals = {c: Contact("k", datetime.fromisoformat(str(s["start"])), True) for c, s in states.items()}
    entries = CallerIndex("k", 0, {}).settle(arrivals, WINDOW).entries
    kept, moving = fit(entries, HeldStates.of(states), {}, WINDOW)
    assert moving == []
    return str(CallerIndex("k", 0, {}).item(entries, WINDOW, kept)["states"]["S"])


def test_states_read_back_as_written_and_an_untouched_one_is_written_back_as_its_text() -> None:
    states = {"a": state(0), "b": state(1)}
    held = HeldStates.read(json.loads(written(states)))
    assert set(held) == {"a", "b"} and len(held) == 2
    assert held["a"] == states["a"]  # decoded on use
    untouched_text = json.loads(written(states))["b"][1]
    assert held.member("b") == [states["b"]["start"], untouched_text]
    held["a"] = {**held["a"], "recontacted": True}
    assert json.loads(held.member("a")[1])["recontacted"] is True


def test_a_state_is_not_decoded_until_a_record_needs_it() -> None:
    held = HeldStates.read({"a": ["2026-11-23T14:00:00+00:00", "not json"]})
    # Listing, ordering and writing it back need no decoding
    assert "a" in held and list(held) == ["a"] and held.start("a") == "2026-11-23T14:00:00+00:00"
    assert held.member("a") == ["2026-11-23T14:00:00+00:00", "not json"]
    with pytest.raises(ValueError):
        held["a"]
    copy = HeldStates.read({"a": ["s", canonical_json(state(0))]})
    del copy["a"]
    assert "a" not in copy and len(copy) == 0


def test_an_item_written_with_each_state_as_an_object_reads_and_is_rewritten_as_text() -> None:
    before = {"a": state(0)}  # the form caller items had before states were kept as text
    held = HeldStates.read(before)
    assert held["a"] == state(0) and held.start("a") == state(0)["start"]
    assert held.member("a") == [state(0)["start"], canonical_json(state(0))]


@pytest.mark.parametrize("garbled", [{"a": 3}, {"a": ["only one"]}, {"a": [1, 2]}, {"a": None}])
def test_a_member_of_neither_form_is_refused(garbled: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        HeldStates.read(garbled)


def test_a_copy_changes_apart_from_its_original() -> None:
    held = HeldStates.read({"a": [state(0)["start"], canonical_json(state(0))]})
    copy = held.copy()
    copy["b"] = state(1)
    del copy["a"]
    assert set(held) == {"a"} and set(copy) == {"b"}
