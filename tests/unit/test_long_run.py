"""A long sandbox freezes what survives full collections, and hands everything back when it closes."""

from __future__ import annotations

import gc
import weakref

from tandem.local.long_run import frozen_survivors


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_survivors_of_a_full_collection_are_frozen_and_garbage_is_not() -> None:
    with frozen_survivors():
        kept = Node()
        dropped = weakref.ref(Node())  # unreachable already
        gc.collect()
        assert dropped() is None  # collected, not frozen
        assert gc.get_freeze_count() > 0
        frozen_then_dropped = weakref.ref(kept)
        del kept
        gc.collect()
        assert frozen_then_dropped() is not None  # frozen: kept until the sandbox closes
    assert frozen_then_dropped() is None  # handed back and collected as the sandbox closed


def test_the_freezing_stops_when_the_sandbox_closes() -> None:
    callbacks = list(gc.callbacks)
    with frozen_survivors():
        assert len(gc.callbacks) == len(callbacks) + 1
    assert gc.callbacks == callbacks
    kept = Node()
    gc.collect()
    assert any(obj is kept for obj in gc.get_objects())  # a full collection no longer freezes it
    del kept


def test_a_sandbox_without_history_freezes_its_survivors_and_one_with_history_does_not() -> None:
    from tandem.local import sandbox

    with sandbox(seed=False, attach=False, history=False):
        gc.unfreeze()  # what the handlers' containers froze on import is not this test's business
        gc.collect()
        assert gc.get_freeze_count() > 0
    with sandbox(seed=False, attach=False):
        gc.unfreeze()
        gc.collect()
        assert gc.get_freeze_count() == 0
