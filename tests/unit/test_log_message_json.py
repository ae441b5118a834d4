"""The log message reader given to Powertools (lambdas/shared/observability.py) reads exactly what
json.loads reads, and refuses exactly what it refuses: the log lines stay the same."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lambdas.shared.observability import _message_as_json


def outcome(read: Any, text: str) -> tuple[str, Any]:
    try:
        value = read(text)
    except ValueError:  # JSONDecodeError is one
        return ("refused", None)
    return ("read", "nan" if isinstance(value, float) and math.isnan(value) else value)


JSONISH = st.one_of(
    st.text(),
    st.text(alphabet=' \t\n{}[]",:-0123456789.eEtrufalsnNIiy\\'),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    ).map(json.dumps),
    st.sampled_from(["survey", "ivr decision", "", " ", "NaN", "-Infinity", " 12", "null", "t"]),
)


@given(JSONISH)
def test_messages_are_read_exactly_as_json_loads_reads_them(text: str) -> None:
    assert outcome(_message_as_json, text) == outcome(json.loads, text)
