"""Circuit breaker state machine and deadline-bounded retries, with an injected clock."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lambdas.shared.budget import BudgetExceeded, Deadline
from lambdas.shared.resilience import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    CircuitOpen,
    backoff_cap,
    retry_call,
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeDeadline:
    """A deadline on the fake clock, so sleeping is instant but still spends budget."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock = clock
        self.at = clock.now + seconds

    def remaining_seconds(self) -> float:
        return max(self.at - self.clock.now, 0.0)


class Transient(Exception):
    pass


class Fatal(Exception):
    pass


def flaky(outcomes: list[Exception | str]) -> Callable[[], str]:
    """A function that raises or returns each outcome in turn; records how often it ran."""
    queue = list(outcomes)

    def fn() -> str:
        fn.calls += 1  # type: ignore[attr-defined]
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    fn.calls = 0  # type: ignore[attr-defined]
    return fn


def is_transient(error: Exception) -> bool:
    return isinstance(error, Transient)


# --- CircuitBreaker -----------------------------------------------------------------------


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_breaker_opens_after_threshold_consecutive_failures() -> None:
    # Given a breaker with threshold 3
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout_seconds=30, clock=FakeClock())
    # When two calls fail it is still closed
    fail(breaker, 2)
    assert breaker.state == CLOSED
    assert breaker.consecutive_failures == 2
    # Then the third failure opens it and calls are rejected without running
    fail(breaker, 1)
    assert breaker.state == OPEN
    assert not breaker.allow()


def test_success_resets_the_consecutive_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeClock())
    fail(breaker, 2)
    assert breaker.allow()
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state == CLOSED


def test_open_breaker_half_opens_after_recovery_timeout_and_lets_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout_seconds=30, clock=clock)
    fail(breaker, 1)
    # Given the breaker opened just under the recovery timeout ago
    clock.advance(29.9)
    assert breaker.state == OPEN
    assert not breaker.allow()
    # When the timeout passes
    clock.advance(0.1)
    # Then it is half-open: one trial goes through, a second concurrent one does not
    assert breaker.state == HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()
    # And a successful trial closes it
    breaker.record_success()
    assert breaker.state == CLOSED
    assert breaker.allow()


def test_failed_trial_reopens_for_a_full_recovery_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout_seconds=10, clock=clock)
    fail(breaker, 2)
    clock.advance(10)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN
    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.state == HALF_OPEN


def test_half_open_successes_requires_that_many_trials() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(
        failure_threshold=1, recovery_timeout_seconds=5, half_open_successes=3, clock=clock
    )
    fail(breaker, 1)
    clock.advance(5)
    for _ in range(2):
        assert breaker.allow()
        assert not breaker.allow()  # still one at a time
        breaker.record_success()
        assert breaker.state == HALF_OPEN
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED


def test_a_trial_that_never_reports_is_reclaimed_after_another_recovery_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout_seconds=30, clock=clock)
    fail(breaker, 1)
    clock.advance(30)
    assert breaker.allow()  # this trial hangs and never records an outcome
    clock.advance(29)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.allow()


def test_late_outcomes_while_open_do_not_change_the_recovery_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout_seconds=30, clock=clock)
    fail(breaker, 1)
    clock.advance(20)
    breaker.record_failure()  # from a call that started before the breaker opened
    breaker.record_success()
    assert breaker.state == OPEN
    clock.advance(10)
    assert breaker.state == HALF_OPEN


def test_call_raises_circuit_open_without_running_the_function() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())
    fn = flaky([Transient("down")])
    with pytest.raises(Transient):
        breaker.call(fn)
    with pytest.raises(CircuitOpen):
        breaker.call(fn)
    assert fn.calls == 1  # type: ignore[attr-defined]


def test_call_records_success_and_returns_the_value() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    fail(breaker, 1)
    assert breaker.call(lambda: "ok") == "ok"
    assert breaker.consecutive_failures == 0


def test_reset_closes_the_breaker() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())
    fail(breaker, 1)
    breaker.reset()
    assert breaker.state == CLOSED


@pytest.mark.parametrize(
    "kwargs",
    [{"failure_threshold": 0}, {"recovery_timeout_seconds": -1}, {"half_open_successes": 0}],
)
def test_breaker_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_breaker_is_consistent_under_concurrent_failures() -> None:
    # Given many threads failing at once (abandoned workers reporting late)
    breaker = CircuitBreaker(failure_threshold=1000, clock=FakeClock())
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(100):
            breaker.record_failure()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then no update was lost: 800 failures counted, still below the threshold
    assert breaker.consecutive_failures == 800
    assert breaker.state == CLOSED


# Property: any interleaving of calls, outcomes and time.

THRESHOLD = 2
RECOVERY = 10.0

outcome = st.sampled_from(["success", "failure"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("call"), outcome),  # a call that is let through finishes at once
        st.tuples(st.just("start"), st.just("")),  # a call that stays in flight
        st.tuples(st.just("finish"), outcome),  # the oldest call in flight finishes
        st.tuples(st.just("tick"), st.sampled_from(["1", "5", "10", "15"])),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
# A trial whose lease lapsed twice over reports after the next trial started: its report is its own
@example(
    ops=[
        ("call", "failure"),
        ("call", "failure"),
        ("tick", "10"),
        ("start", ""),
        ("tick", "20"),
        ("start", ""),
        ("finish", "success"),
        ("call", "success"),
    ],
    half_open_successes=2,
)
@given(ops=operations, half_open_successes=st.integers(min_value=1, max_value=3))
def test_breaker_properties_hold_for_any_sequence(
    ops: list[tuple[str, str]], half_open_successes: int
) -> None:
    """Calls start, finish (oldest first) and time passes, in any order. Calls still in flight
    when the breaker opens are taken to finish while it is open (real calls are bounded by
    timeouts far shorter than the recovery timeout), so every call in flight while half-open is
    a trial."""
    clock = FakeClock()
    breaker = CircuitBreaker(
        failure_threshold=THRESHOLD,
        recovery_timeout_seconds=RECOVERY,
        half_open_successes=half_open_successes,
        clock=clock,
    )
    in_flight: list[float] = []  # when each granted, unfinished call was let through
    consecutive = 0  # failures recorded while closed since the last success or closing
    opened_at = 0.0

    def finish(result: str, state: str) -> None:
        nonlocal consecutive
        if result == "success":
            breaker.record_success()
            consecutive = 0
        else:
            breaker.record_failure()
            consecutive += state == CLOSED

    for op, value in ops:
        before = breaker.state
        if op == "tick":
            clock.advance(float(value))
        elif op in ("call", "start"):
            granted = breaker.allow()
            if before == OPEN:
                assert not granted, "an open breaker let a call through"
            if granted and before == HALF_OPEN:
                # Never a second trial while one is in flight (unless its lease has lapsed).
                assert not [t for t in in_flight if clock.now - t < RECOVERY], "second trial let through"
            if granted and op == "call":
                finish(value, before)
            elif granted:
                in_flight.append(clock.now)
        elif in_flight:
            in_flight.pop(0)
            finish(value, before)
        after = breaker.state
        if before == CLOSED and after != CLOSED:
            # Never opens before `threshold` consecutive failures, and opens exactly then.
            assert consecutive == THRESHOLD
        if before == CLOSED and after == CLOSED:
            assert consecutive < THRESHOLD
        if after == OPEN and before != OPEN:
            opened_at = clock.now
            in_flight.clear()  # they finish while open, where outcomes are ignored
        if after == OPEN:
            assert clock.now - opened_at < RECOVERY, "open past the recovery timeout"
        if after == CLOSED and before != CLOSED:
            consecutive = 0


# --- retry_call ---------------------------------------------------------------------------


def test_first_success_does_not_sleep() -> None:
    clock = FakeClock()
    sleeps: list[float] = []
    fn = flaky(["ok"])
    result = retry_call(
        fn,
        attempts=3,
        base_delay_seconds=0.1,
        max_delay_seconds=1,
        deadline=FakeDeadline(clock, 5),
        is_retryable=is_transient,
        sleep=sleeps.append,
    )
    assert result == "ok"
    assert sleeps == []


def test_retries_transient_errors_with_full_jitter_delays() -> None:
    clock = FakeClock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    # Given two transient failures, then success; rand() fixed at 0.5
    fn = flaky([Transient("1"), Transient("2"), "ok"])
    result = retry_call(
        fn,
        attempts=3,
        base_delay_seconds=0.1,
        max_delay_seconds=0.15,
        deadline=FakeDeadline(clock, 5),
        is_retryable=is_transient,
        sleep=sleep,
        rand=lambda: 0.5,
    )
    # Then it succeeds on the third attempt; delays are rand * min(max, base * 2**i)
    assert result == "ok"
    assert fn.calls == 3  # type: ignore[attr-defined]
    assert sleeps == pytest.approx([0.5 * 0.1, 0.5 * 0.15])


def test_non_retryable_error_is_raised_at_once() -> None:
    sleeps: list[float] = []
    fn = flaky([Fatal("bad request"), "ok"])
    with pytest.raises(Fatal):
        retry_call(
            fn,
            attempts=5,
            base_delay_seconds=0.1,
            max_delay_seconds=1,
            deadline=FakeDeadline(FakeClock(), 5),
            is_retryable=is_transient,
            sleep=sleeps.append,
        )
    assert fn.calls == 1  # type: ignore[attr-defined]
    assert sleeps == []


def test_last_error_is_reraised_when_attempts_run_out() -> None:
    errors = [Transient("first"), Transient("second"), Transient("last")]
    fn = flaky(list(errors))
    with pytest.raises(Transient) as caught:
        retry_call(
            fn,
            attempts=3,
            base_delay_seconds=0.01,
            max_delay_seconds=0.01,
            deadline=FakeDeadline(FakeClock(), 5),
            is_retryable=is_transient,
            sleep=lambda _: None,
        )
    assert caught.value is errors[-1]
    assert fn.calls == 3  # type: ignore[attr-defined]


def test_retry_is_skipped_when_an_attempt_could_not_finish_before_the_deadline() -> None:
    clock = FakeClock()
    sleeps: list[float] = []

    def fn() -> str:
        clock.advance(0.7)  # each attempt times out after 0.7 s
        raise Transient("timeout")

    # Given 1.0 s of budget and attempts that may take 0.8 s
    with pytest.raises(Transient):
        retry_call(
            fn,
            attempts=5,
            base_delay_seconds=0.05,
            max_delay_seconds=0.2,
            deadline=FakeDeadline(clock, 1.0),
            is_retryable=is_transient,
            attempt_timeout_seconds=0.8,
            sleep=sleeps.append,
        )
    # Then after the first attempt (0.3 s left < 0.8 s) no retry is started and nothing slept
    assert sleeps == []


def test_delay_is_shortened_so_the_retry_still_fits() -> None:
    clock = FakeClock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    fn = flaky([Transient("busy"), "ok"])
    # 1.0 s budget, attempts may take 0.9 s, jitter would sleep 0.5 s: only 0.1 s is spare
    result = retry_call(
        fn,
        attempts=2,
        base_delay_seconds=1.0,
        max_delay_seconds=1.0,
        deadline=FakeDeadline(clock, 1.0),
        is_retryable=is_transient,
        attempt_timeout_seconds=0.9,
        sleep=sleep,
        rand=lambda: 0.5,
    )
    assert result == "ok"
    assert sleeps == [pytest.approx(0.1)]


def test_expired_deadline_runs_nothing() -> None:
    clock = FakeClock()
    fn = flaky(["ok"])
    with pytest.raises(BudgetExceeded):
        retry_call(
            fn,
            attempts=3,
            base_delay_seconds=0.1,
            max_delay_seconds=1,
            deadline=FakeDeadline(clock, 0),
            is_retryable=is_transient,
        )
    assert fn.calls == 0  # type: ignore[attr-defined]


def test_works_with_the_real_deadline_type() -> None:
    fn = flaky([Transient("x"), "ok"])
    result = retry_call(
        fn,
        attempts=2,
        base_delay_seconds=0.001,
        max_delay_seconds=0.001,
        deadline=Deadline.after_ms(1000),
        is_retryable=is_transient,
    )
    assert result == "ok"


def test_on_retry_reports_attempt_error_and_delay() -> None:
    seen: list[tuple[int, str, float]] = []
    fn = flaky([Transient("a"), Transient("b"), "ok"])
    retry_call(
        fn,
        attempts=3,
        base_delay_seconds=0.2,
        max_delay_seconds=1,
        deadline=FakeDeadline(FakeClock(), 5),
        is_retryable=is_transient,
        sleep=lambda _: None,
        rand=lambda: 1.0,
        on_retry=lambda n, error, delay: seen.append((n, str(error), delay)),
    )
    assert seen == [(1, "a", pytest.approx(0.2)), (2, "b", pytest.approx(0.4))]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"base_delay_seconds": -1},
        {"max_delay_seconds": -1},
        {"attempt_timeout_seconds": -1},
    ],
)
def test_retry_call_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    settings_: dict[str, float] = {"attempts": 2, "base_delay_seconds": 0.1, "max_delay_seconds": 1}
    settings_.update(kwargs)
    with pytest.raises(ValueError):
        retry_call(
            lambda: "ok",
            deadline=FakeDeadline(FakeClock(), 5),
            is_retryable=is_transient,
            **settings_,  # type: ignore[arg-type]
        )


@settings(max_examples=200, deadline=None)
@given(
    rands=st.lists(st.floats(min_value=0.0, max_value=1.0, exclude_max=True), min_size=6, max_size=6),
    base=st.floats(min_value=0.0, max_value=1.0),
    cap=st.floats(min_value=0.0, max_value=2.0),
    budget=st.floats(min_value=0.01, max_value=10.0),
    attempt_timeout=st.floats(min_value=0.0, max_value=1.0),
    attempt_cost=st.floats(min_value=0.0, max_value=1.0),
)
def test_jitter_stays_in_bounds_and_never_sleeps_past_the_deadline(
    rands: list[float], base: float, cap: float, budget: float, attempt_timeout: float, attempt_cost: float
) -> None:
    clock = FakeClock()
    deadline = FakeDeadline(clock, budget)
    retries: list[tuple[int, float, float]] = []  # (retry number, delay, remaining before it)
    started: list[float] = []  # remaining budget when each attempt started
    pending = iter(rands)

    def fn() -> str:
        started.append(deadline.remaining_seconds())
        clock.advance(min(attempt_cost, deadline.remaining_seconds()))
        raise Transient("down")

    def on_retry(number: int, error: Exception, delay: float) -> None:
        retries.append((number, delay, deadline.remaining_seconds()))

    with pytest.raises(Transient):
        retry_call(
            fn,
            attempts=7,
            base_delay_seconds=base,
            max_delay_seconds=cap,
            deadline=deadline,
            is_retryable=is_transient,
            attempt_timeout_seconds=attempt_timeout,
            sleep=clock.advance,
            rand=lambda: next(pending),
            on_retry=on_retry,
        )
    for number, delay, remaining in retries:
        assert 0 <= delay <= backoff_cap(number - 1, base, cap) + 1e-12
        assert delay <= remaining
    # Every retry started with room for a whole attempt; the first always runs.
    for remaining in started[1:]:
        assert remaining >= attempt_timeout - 1e-9
        assert remaining > 0


def test_a_lapsed_trial_reporting_late_does_not_free_the_slot_of_the_trial_in_flight() -> None:
    """Found by the property test: open, a trial whose lease lapses, a second trial, then the first
    reports: the second is still in flight, so no third trial may go through."""
    clock = FakeClock()
    breaker = CircuitBreaker(
        failure_threshold=THRESHOLD, recovery_timeout_seconds=RECOVERY, half_open_successes=2, clock=clock
    )
    for _ in range(THRESHOLD):
        assert breaker.allow()
        breaker.record_failure()
    clock.advance(RECOVERY)
    assert breaker.allow()  # trial 1, which hangs
    clock.advance(RECOVERY)
    assert breaker.allow()  # its lease lapsed: trial 2
    breaker.record_success()  # trial 1 reports late
    assert breaker.state == HALF_OPEN
    assert not breaker.allow()  # trial 2 is still in flight
    breaker.record_success()  # trial 2: the second success closes it
    assert breaker.allow()
