"""The response contract of every Connect-facing handler.

Connect's STRING_MAP response must be a flat string map under 32 KB; anything else sends the flow
down its Error branch. Every handler builds its answer through `flat_response`, so the contract is
enforced in exactly one place.
"""

from __future__ import annotations

import json
from enum import Enum, StrEnum
from typing import Any

MAX_RESPONSE_BYTES = 32 * 1024
# Leave head-room under the hard limit for Connect's own envelope.
RESPONSE_BUDGET_BYTES = MAX_RESPONSE_BYTES - 1024
MAX_VALUE_CHARS = 1024


class Status(StrEnum):
    OK = "OK"
    NOT_FOUND = "NOT_FOUND"
    DEGRADED = "DEGRADED"
    INVALID_INPUT = "INVALID_INPUT"


def to_flow_value(value: Any) -> str:
    """Render a value the way a flow can speak or compare it."""
    if type(value) is str:  # most values: skip the checks below (a StrEnum member is not `str`)
        return _speakable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return _speakable(str(value))


def _speakable(text: str) -> str:
    # Control characters confuse text-to-speech and attribute copies. One character in, one out,
    # so cutting first changes nothing; most text is printable already and is kept as it is.
    text = text[:MAX_VALUE_CHARS]
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text)


def flat_response(status: Status, fields: dict[str, Any] | None = None) -> dict[str, str]:
    """Build the flat `dict[str, str]` a flow receives, always under the size budget.

    Values that would push the response over budget are dropped (largest first), never the
    status, so the flow can still branch.
    """
    response: dict[str, str] = {}
    for key, value in (fields or {}).items():
        if key == "status" or value is None:
            continue
        response[str(key)] = to_flow_value(value)
    response["status"] = status.value
    if _most_bytes(response) <= RESPONSE_BUDGET_BYTES:
        return response  # cannot be over budget: no need to serialise it to know
    while _size(response) > RESPONSE_BUDGET_BYTES:
        largest = max((k for k in response if k != "status"), key=lambda k: len(response[k]))
        del response[largest]
    return response


def _most_bytes(response: dict[str, str]) -> int:
    """An upper bound of `_size`: a character takes at most 6 bytes in the JSON (an escape such as
    \\u001f), and each entry adds 2 pairs of quotes, ": " and ", "."""
    return 2 + 6 * (sum(map(len, response)) + sum(map(len, response.values()))) + 8 * len(response)


def _size(response: dict[str, str]) -> int:
    return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
