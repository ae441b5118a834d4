"""Warm-container cache and the hard time budget."""

from __future__ import annotations

import time

import pytest

from lambdas.shared.aws import ClientLimits
from lambdas.shared.budget import BudgetExceeded, Deadline, run_within
from lambdas.shared.cache import TtlCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_ttl_and_none_is_a_cacheable_answer() -> None:
    clock = FakeClock()
    cache: TtlCache[str | None] = TtlCache(clock=clock)
    cache.put("known", "ana", ttl_seconds=60)
    cache.put("unknown", None, ttl_seconds=15)
    assert cache.get("known") == (True, "ana")
    assert cache.get("unknown") == (True, None)
    clock.now += 16
    assert cache.get("unknown") == (False, None)
    assert cache.get("known") == (True, "ana")
    clock.now += 45
    assert cache.get("known") == (False, None)


def test_an_expired_entry_answers_stale_inside_its_grace_period_only() -> None:
    clock = FakeClock()
    cache: TtlCache[str] = TtlCache(clock=clock)
    cache.put("k", "v", ttl_seconds=10, stale_grace_seconds=100)
    clock.now += 50
    assert cache.get("k") == (False, None)
    assert cache.get_stale("k") == (True, "v")
    clock.now += 61
    assert cache.get_stale("k") == (False, None)


def test_least_recently_used_entries_leave_first_when_full() -> None:
    cache: TtlCache[int] = TtlCache(max_entries=2, clock=FakeClock())
    cache.put("a", 1, 60)
    cache.put("b", 2, 60)
    cache.get("a")
    cache.put("c", 3, 60)
    assert cache.get("b") == (False, None)
    assert cache.get("a") == (True, 1)
    assert len(cache) == 2


def test_zero_ttl_disables_caching() -> None:
    cache: TtlCache[int] = TtlCache(clock=FakeClock())
    cache.put("a", 1, 0)
    assert cache.get("a") == (False, None)


def test_work_inside_the_budget_returns_its_value_and_errors_propagate() -> None:
    assert run_within(Deadline.after_ms(1000), lambda: 42) == 42
    with pytest.raises(KeyError):
        run_within(Deadline.after_ms(1000), lambda: {}["missing"])


def test_work_past_the_budget_is_abandoned_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded):
        run_within(Deadline.after_ms(50), lambda: time.sleep(1))
    assert time.monotonic() - started < 0.9  # answered long before the work finished


class LambdaContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_the_deadline_never_outlives_the_lambda_itself() -> None:
    deadline = Deadline.after_ms(5000, LambdaContext(remaining_ms=400))
    assert deadline.remaining_seconds() <= 0.25  # 400 ms less the response reserve
    assert Deadline.after_ms(5000, LambdaContext(remaining_ms=0)).expired()


def test_client_limits_count_the_first_request_in_the_attempts() -> None:
    config = ClientLimits(connect_timeout=0.3, read_timeout=0.6, max_attempts=2).botocore_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert config.connect_timeout == 0.3
    assert config.read_timeout == 0.6
    assert ClientLimits(0.3, 0.6, 2).worst_case_seconds() == pytest.approx(2.8)


def test_a_deadline_share_is_the_sooner_of_the_share_and_the_deadline() -> None:
    from lambdas.shared.budget import Deadline

    far = Deadline.after_ms(10_000)
    assert far.sooner(100).remaining_seconds() <= 0.1
    near = Deadline.after_ms(50)
    assert near.sooner(10_000).at == near.at
