"""What one warm Lambda container keeps between invocations.

Dependencies (clients, caches, config) are built once, at import when possible so the work lands
in the init phase, and rebuilt after `reset()` (the sandbox resets them to simulate a cold start).
A configuration error is kept, not raised, so the handler can still answer the flow.
The sandbox replaces fields of the built dependencies for a while (`replaced`), e.g. the clock,
which is how it pins the moment a handler decides by.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")


class Container(Generic[D]):
    def __init__(self, build: Callable[[], D]) -> None:
        self._build = build
        self._deps: D | None = None
        self._error: Exception | None = None
        self._replacements: dict[str, Any] = {}
        self._replaced: D | None = None  # the built dependencies with the replacements, once made
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
            if not self._replacements:
                return self._deps
            if self._replaced is None:  # made once per build and set of replacements, not per call
                self._replaced = dataclasses.replace(self._deps, **self._replacements)
            return self._replaced

    def warm(self) -> None:
        """Build now if possible; swallow errors (the first invocation reports them).

        Everything imported so far lives as long as the container, so it is moved out of the
        garbage collector's sight first (`gc.freeze`): otherwise every collection triggered while
        botocore parses its endpoint and service models rescans those objects, which made client
        creation about twice as slow as in a bare interpreter. Frozen again after the build, so
        the long-lived clients do not slow the collections that run during invocations either.
        No collection runs during the build: what it makes lives as long as the container too, and
        its short-lived objects (parsed JSON, requests) are freed by their reference counts, so a
        collection there only costs time (about a dozen of them, 2 ms of escalation's init); a
        collection after the build finds at most a handful of unreachable objects, which the second
        freeze keeps.
        """
        gc.freeze()
        collecting = gc.isenabled()
        gc.disable()
        try:
            # Reported on the first invocation instead, where the handler can still answer the flow.
            with contextlib.suppress(Exception):
                self.get()
        finally:
            if collecting:
                gc.enable()
        gc.freeze()

    def built(self) -> D | None:
        """The dependencies when this container has built them, else None (never builds)."""
        with self._lock:
            return self._deps

    def reset(self) -> None:
        with self._lock:
            self._deps = None
            self._error = None
            self._replaced = None

    @contextlib.contextmanager
    def replaced(self, **fields: Any) -> Iterator[None]:
        """While the block runs, `get()` answers the dependencies with these fields replaced (built
        or rebuilt ones alike, so a cold start inside the block keeps them); restored on exit."""
        with self._lock:
            if self._deps is not None:  # a misspelt field fails here, not inside a handler's call
                known = {f.name for f in dataclasses.fields(self._deps)}
                if unknown := sorted(set(fields) - known):
                    raise TypeError(f"{type(self._deps).__name__} has no field {', '.join(unknown)}")
            saved = self._replacements
            self._replacements = {**saved, **fields}
            self._replaced = None
        try:
            yield
        finally:
            with self._lock:
                self._replacements = saved
                self._replaced = None
