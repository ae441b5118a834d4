"""The container's dependencies, and how the sandbox pins one of them (the clock) for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.container import Container

PINNED = datetime(2026, 12, 25, 10, tzinfo=UTC)


@dataclass(frozen=True)
class Deps:
    build: int
    clock: Clock = utc_now


def counting_container() -> Container[Deps]:
    builds = iter(range(1, 100))
    return Container(lambda: Deps(next(builds)))


def test_the_dependencies_are_built_once_and_again_after_a_reset() -> None:
    container = counting_container()
    assert container.get() is container.get()
    assert container.get().build == 1
    container.reset()
    assert container.get().build == 2


def test_a_replaced_clock_holds_inside_the_block_and_through_a_cold_start_then_is_restored() -> None:
    container = counting_container()
    built = container.get()
    with container.replaced(clock=lambda: PINNED):
        assert container.get().clock() == PINNED
        assert container.get().build == built.build  # the same clients, only the clock replaced
        container.reset()  # a cold start inside the block is pinned too
        assert container.get().clock() == PINNED
        assert container.get().build == built.build + 1
    assert container.get().clock is utc_now
    assert built.clock is utc_now  # the built dependencies themselves were never changed


def test_replacements_nest_and_unwind_in_order() -> None:
    container = counting_container()
    later = datetime(2027, 1, 4, 9, tzinfo=UTC)
    with container.replaced(clock=lambda: PINNED):
        with container.replaced(clock=lambda: later):
            assert container.get().clock() == later
        assert container.get().clock() == PINNED
    assert container.get().clock is utc_now


def test_replacing_a_field_the_dependencies_do_not_have_is_refused_at_once() -> None:
    container = counting_container()
    container.get()
    with pytest.raises(TypeError, match="Deps has no field clok"), container.replaced(clok=utc_now):
        pass
    assert container.get().clock is utc_now


def test_the_replaced_dependencies_are_made_once_per_build_and_set_of_replacements() -> None:
    """A warm call inside a replacement reuses one copy; a reset or a new replacement makes another."""
    container = counting_container()
    container.get()
    with container.replaced(clock=lambda: PINNED):
        first = container.get()
        assert container.get() is first
        with container.replaced(build=7):
            inner = container.get()
            assert inner is not first and inner.build == 7 and inner.clock() == PINNED
        outer = container.get()  # the outer set again, as it was
        assert outer.build == first.build and outer.clock() == PINNED and container.get() is outer
        container.reset()
        rebuilt = container.get()
        assert rebuilt.build == 2 and rebuilt.clock() == PINNED
        assert container.get() is rebuilt
    assert container.get().clock is utc_now
