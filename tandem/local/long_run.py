"""A long in-process sandbox keeps the garbage collector from rescanning moto's tables.

A full collection walks every object the collector tracks, and in a sandbox most of them are moto's
stored items, which live as long as the sandbox: a 10,000-record ingest spent a tenth of its time
in full collections, three times the share at 1,000 records. While `frozen_survivors` is open,
whatever survives a full collection is moved out of the collector's sight (`gc.freeze`), so the
next full collection walks only what was made since. Nothing unreachable is frozen (the
collection has just freed it); what is frozen and later becomes unreachable through a cycle is kept
until the sandbox closes, when everything is handed back to the collector (`gc.unfreeze`) for one
full collection, and what survives it is frozen again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

OLDEST = 2  # the generation a full collection collects


@contextlib.contextmanager
def frozen_survivors() -> Iterator[None]:
    def freeze_after_full_collection(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == OLDEST:
            gc.freeze()

    gc.callbacks.append(freeze_after_full_collection)
    try:
        yield
    finally:
        gc.callbacks.remove(freeze_after_full_collection)
        # The sandbox's tables are garbage now: one full collection frees them, and what survives it
        # is frozen again, as it was before (a process that outlives the sandbox, the test suite's
        # workers, would otherwise rescan everything it imported at each later full collection).
        gc.unfreeze()
        gc.collect()
        gc.freeze()
