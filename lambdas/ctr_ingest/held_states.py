"""The call states a caller item holds, each decoded only when a record needs it.

A caller who rings often has a few days of calls in their item, and each of their calls reads and
writes all of it; most of those states are only carried along. So the item's `states` attribute is
one JSON object whose member for each call is `[start, state JSON]`: reading it decodes the object
and its strings, a state is decoded on first use, and a state nobody touched is written back as the
text it was read as. An item written before (each member the state's object) reads the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any


class HeldStates(MutableMapping[str, dict[str, Any]]):
    """Call id → call state (`start`, `segments`, `contribution`, `recontacted`)."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, str]] = {}  # as read and untouched: (start, state JSON)
        self._decoded: dict[str, dict[str, Any]] = {}

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> HeldStates:
        """From the decoded `states` attribute. Raises TypeError or ValueError on anything else."""
        held = cls()
        for call_id, value in stored.items():
            if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
                held._texts[call_id] = (value[0], value[1])
            elif isinstance(value, dict):  # written before states were kept as text
                held._decoded[call_id] = value
            else:
                raise TypeError(f"call state {call_id!r} is neither [start, JSON] nor an object")
        return held

    @classmethod
    def of(cls, states: Mapping[str, dict[str, Any]]) -> HeldStates:
        held = cls()
        held._decoded.update(states)
        return held

    def copy(self) -> HeldStates:
        held = HeldStates()
        held._texts, held._decoded = dict(self._texts), dict(self._decoded)
        return held

    def start(self, call_id: str) -> str:
        """The call's start (ISO), without decoding its state."""
        if call_id in self._texts:
            return self._texts[call_id][0]
        return str(self._decoded[call_id]["start"])

    def member(self, call_id: str) -> Any:
        """What the item's `states` object holds for the call: `[start, state JSON]`."""
        if call_id in self._texts:
            return list(self._texts[call_id])
        state = self._decoded[call_id]
        return [str(state["start"]), canonical_json(state)]

    def __getitem__(self, call_id: str) -> dict[str, Any]:
        if call_id not in self._decoded:
            _, text = self._texts.pop(call_id)  # decoded now: the caller may change it
            state = json.loads(text)
            if not isinstance(state, dict):
                raise TypeError(f"call state {call_id!r} is not an object")
            self._decoded[call_id] = state
        return self._decoded[call_id]

    def __setitem__(self, call_id: str, state: dict[str, Any]) -> None:
        self._texts.pop(call_id, None)
        self._decoded[call_id] = state

    def __delitem__(self, call_id: str) -> None:
        if self._texts.pop(call_id, None) is None:
            del self._decoded[call_id]

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._texts or call_id in self._decoded

    def __iter__(self) -> Iterator[str]:
        yield from list(self._texts)
        yield from list(self._decoded)

    def __len__(self) -> int:
        return len(self._texts) + len(self._decoded)


def canonical_json(value: Any) -> str:
    """Compact, keys sorted: the same value is always the same text."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
