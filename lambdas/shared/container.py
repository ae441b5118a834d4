"""What one warm Lambda container keeps between invocations.

Dependencies (clients, caches, config) are built once, at import when possible so the work lands
in the init phase, and rebuilt after `reset()` (the sandbox resets them to simulate a cold start).
A configuration error is kept, not raised, so the handler can still answer the flow.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

D = TypeVar("D")


class Container(Generic[D]):
    def __init__(self, build: Callable[[], D]) -> None:
        self._build = build
        self._deps: D | None = None
        self._error: Exception | None = None
        self._lock = threading.Lock()

    def get(self) -> D:
        """The built dependencies; raises the build error when configuration is broken."""
        with self._lock:
            if self._deps is None:
                try:
                    self._deps = self._build()
                    self._error = None
                except Exception as error:  # kept and re-raised per call; never at import
                    self._error = error
            if self._deps is None:
                assert self._error is not None
                raise self._error
            return self._deps

    def warm(self) -> None:
        """Build now if possible; swallow errors (the first invocation reports them).

        Everything imported so far lives as long as the container, so it is moved out of the
        garbage collector's sight first (`gc.freeze`): otherwise every collection triggered while
        botocore parses its endpoint and service models rescans those objects, which made client
        creation about twice as slow as in a bare interpreter. Frozen again after the build, so
        the long-lived clients do not slow the collections that run during invocations either.
        """
        gc.freeze()
        # Reported on the first invocation instead, where the handler can still answer the flow.
        with contextlib.suppress(Exception):
            self.get()
        gc.freeze()

    def reset(self) -> None:
        with self._lock:
            self._deps = None
            self._error = None
