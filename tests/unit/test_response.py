"""The flat string-map response contract."""

from __future__ import annotations

import json
from enum import Enum

from hypothesis import given
from hypothesis import strategies as st

from lambdas.shared.response import MAX_RESPONSE_BYTES, Status, flat_response, to_flow_value


class Colour(Enum):
    RED = "RED"


def test_values_are_rendered_as_strings_a_flow_can_compare() -> None:
    response = flat_response(
        Status.OK,
        {"found": True, "missing": False, "count": 3, "ratio": 2.0, "tier": Colour.RED, "none": None},
    )
    assert response == {
        "found": "true",
        "missing": "false",
        "count": "3",
        "ratio": "2",
        "tier": "RED",
        "status": "OK",
    }


def test_nested_values_become_json_text_and_control_characters_are_removed() -> None:
    assert to_flow_value({"a": [1, 2]}) == '{"a":[1,2]}'
    assert to_flow_value("line\nbreak\ttab") == "line break tab"


def test_the_status_argument_wins_over_a_status_field() -> None:
    assert flat_response(Status.DEGRADED, {"status": "OK"})["status"] == "DEGRADED"


def test_oversized_responses_drop_the_largest_values_but_keep_status() -> None:
    fields = {f"key{i}": "x" * 1000 for i in range(60)}
    response = flat_response(Status.OK, fields)
    assert len(json.dumps(response).encode()) < MAX_RESPONSE_BYTES
    assert response["status"] == "OK"
    assert len(response) < 61


@given(
    st.dictionaries(
        st.text(max_size=30),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=2000),
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
            ),
            max_leaves=20,
        ),
        max_size=40,
    )
)
def test_any_fields_give_a_flat_string_map_under_32_kb(fields: dict) -> None:  # type: ignore[type-arg]
    response = flat_response(Status.OK, fields)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
    assert response["status"] == "OK"
    assert len(json.dumps(response, ensure_ascii=False).encode("utf-8")) < MAX_RESPONSE_BYTES


def _response_by_serialising_every_time(status: Status, fields: dict[str, object]) -> dict[str, str]:
    """The straightforward contract: every value cleaned character by character, the size measured
    by serialising, the largest value dropped until it fits."""
    response: dict[str, str] = {}
    for key, value in fields.items():
        if key == "status" or value is None:
            continue
        rendered = to_flow_value(value) if not isinstance(value, str) else value
        if isinstance(value, str):
            rendered = "".join(ch if ch.isprintable() else " " for ch in value)[:1024]
        response[str(key)] = rendered
    response["status"] = status.value

    def size() -> int:
        return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))

    while size() > MAX_RESPONSE_BYTES - 1024:
        del response[max((k for k in response if k != "status"), key=lambda k: len(response[k]))]
    return response


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.one_of(
            st.text(max_size=1500),  # control characters, escapes, wide characters, over the cut
            st.text(alphabet='\x00\x1f"\\é😀a', min_size=900, max_size=1100),
            st.integers(),
            st.none(),
        ),
        max_size=60,
    )
)
def test_the_fast_paths_answer_exactly_as_serialising_every_time(fields: dict[str, object]) -> None:
    assert flat_response(Status.OK, fields) == _response_by_serialising_every_time(Status.OK, fields)
