"""A small warm-container cache with a time to live, a stale grace period and a size bound.

Fresh entries answer normally. An expired entry is kept for a grace period so that, when the
back end is down, a handler can still answer with what it knew a few minutes ago (marked stale)
instead of knowing nothing.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

V = TypeVar("V")


class _Entry(NamedTuple, Generic[V]):
    value: V
    fresh_until: float
    keep_until: float


class TtlCache(Generic[V]):
    """Least-recently-used entries go first when full."""

    def __init__(self, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, V | None]:
        """(hit, value) for a fresh entry: a cached None is a hit, so negative answers cache too."""
        with self._lock:
            entry = self._live(key)
            if entry is None or self._clock() >= entry.fresh_until:
                return False, None
            self._entries.move_to_end(key)
            return True, entry.value

    def get_stale(self, key: str) -> tuple[bool, V | None]:
        """(hit, value) for an entry past its TTL but inside its grace period, or fresh."""
        with self._lock:
            entry = self._live(key)
            return (False, None) if entry is None else (True, entry.value)

    def put(self, key: str, value: V, ttl_seconds: float, stale_grace_seconds: float = 0) -> None:
        if ttl_seconds <= 0:
            return
        now = self._clock()
        with self._lock:
            self._entries[key] = _Entry(value, now + ttl_seconds, now + ttl_seconds + stale_grace_seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _live(self, key: str) -> _Entry[V] | None:
        entry = self._entries.get(key)
        if entry is not None and self._clock() >= entry.keep_until:
            del self._entries[key]
            return None
        return entry
