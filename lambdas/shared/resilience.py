"""Retries with jitter inside a time budget, and a circuit breaker, for any remote dependency.

Standard library only, so every function can use it without bundling anything. Both pieces are
about the caller on the line: a retry is only worth making if it can finish before the Connect
block gives up, and a dependency that keeps failing should be skipped quickly (the handler then
answers DEGRADED) instead of costing every caller a full timeout.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final, Literal, Protocol, TypeVar

from lambdas.shared.budget import BudgetExceeded

T = TypeVar("T")

BreakerState = Literal["closed", "open", "half_open"]
CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"


class CircuitOpen(Exception):
    """The breaker is open: the dependency failed repeatedly and is not being called for now."""


# Half-open trials remembered at most: each lapsed trial lets one more through per recovery timeout,
# so this many trials that never report fill it only after this many timeouts.
MAX_TRIAL_LEASES = 16


class CircuitBreaker:
    """Stops calling a dependency after `failure_threshold` consecutive failures.

    closed    every call goes through; consecutive failures are counted, a success resets them.
    open      every call is rejected at once, until `recovery_timeout_seconds` have passed.
    half_open one trial call at a time goes through; `half_open_successes` successful trials
              close the breaker, a failed trial opens it again for another recovery timeout.

    One instance lives per warm container (module level in the adapter), so its state survives
    between invocations. Budgeted work runs on a worker thread (`budget.run_within`), and a
    worker abandoned at the deadline may still report its outcome while the next invocation is
    running, so every transition happens under a lock.

    A trial that never reports (a hung DNS lookup, a caller that forgot to record) would leave
    the breaker half-open and rejecting forever; its slot is reclaimed after another
    `recovery_timeout_seconds`.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout_seconds: float = 30.0,
        half_open_successes: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if recovery_timeout_seconds < 0:
            raise ValueError("recovery_timeout_seconds must not be negative")
        if half_open_successes < 1:
            raise ValueError("half_open_successes must be at least 1")
        self.failure_threshold = failure_threshold
        self.recovery_timeout_seconds = float(recovery_timeout_seconds)
        self.half_open_successes = half_open_successes
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = CLOSED
        self._failures = 0  # consecutive failures while closed
        self._opened_at = 0.0
        # When each half-open trial let through started, oldest first. A trial whose lease lapsed
        # stays listed, however late it reports, so that its report is not taken for the trial in
        # flight now; only trials beyond MAX_TRIAL_LEASES that never reported are forgotten.
        self._trials: deque[float] = deque(maxlen=MAX_TRIAL_LEASES)
        self._trial_successes = 0

    @property
    def state(self) -> BreakerState:
        """The state the next call would see; an open breaker past its timeout reads half_open."""
        with self._lock:
            self._advance(self._clock())
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        """Whether a call may go ahead now. A True in half_open reserves the single trial slot,
        so the caller must report the outcome with `record_success` or `record_failure`."""
        with self._lock:
            now = self._clock()
            self._advance(now)
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                return False
            if any(now - started < self.recovery_timeout_seconds for started in self._trials):
                return False  # another trial is still in flight
            self._trials.append(now)
            return True

    def record_success(self) -> None:
        with self._lock:
            self._advance(self._clock())
            if self._state == CLOSED:
                self._failures = 0
            elif self._state == HALF_OPEN:
                if self._trials:
                    self._trials.popleft()  # calls report in the order they started
                self._trial_successes += 1
                if self._trial_successes >= self.half_open_successes:
                    self._close()
            # OPEN: a late success from a call that started before the breaker opened proves
            # little about the dependency now; the recovery timeout still applies.

    def record_failure(self) -> None:
        with self._lock:
            now = self._clock()
            self._advance(now)
            if self._state == CLOSED:
                self._failures += 1
                if self._failures >= self.failure_threshold:
                    self._open(now)
            elif self._state == HALF_OPEN:
                self._open(now)
            # OPEN: already open; a late failure must not push the recovery time further out.

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` through the breaker: raise `CircuitOpen` without calling it when open, and
        count any exception it raises as a failure."""
        if not self.allow():
            raise CircuitOpen("circuit open: dependency is being skipped after repeated failures")
        try:
            result = fn()
        except BaseException:
            self.record_failure()
            raise
        self.record_success()
        return result

    def reset(self) -> None:
        """Back to closed with no history (tests, or an operator action)."""
        with self._lock:
            self._close()

    # Internals; the lock is held by the caller.

    def _advance(self, now: float) -> None:
        if self._state == OPEN and now - self._opened_at >= self.recovery_timeout_seconds:
            self._state = HALF_OPEN
            self._trials.clear()
            self._trial_successes = 0

    def _open(self, now: float) -> None:
        self._state = OPEN
        self._opened_at = now
        self._failures = 0
        self._trials.clear()
        self._trial_successes = 0

    def _close(self) -> None:
        self._state = CLOSED
        self._failures = 0
        self._trials.clear()
        self._trial_successes = 0


class SupportsRemaining(Protocol):
    """What `retry_call` needs of a deadline; `lambdas.shared.budget.Deadline` fits."""

    def remaining_seconds(self) -> float: ...


def backoff_cap(attempt_index: int, base_delay_seconds: float, max_delay_seconds: float) -> float:
    """The upper bound of the full-jitter delay after failed attempt `attempt_index` (0-based)."""
    # Cap the exponent: 2**i overflows a float long before anyone retries that often.
    return min(max_delay_seconds, base_delay_seconds * 2.0 ** min(attempt_index, 62))


def retry_call(
    fn: Callable[[], T],
    *,
    attempts: int,
    base_delay_seconds: float,
    max_delay_seconds: float,
    deadline: SupportsRemaining,
    is_retryable: Callable[[Exception], bool],
    attempt_timeout_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[int, Exception, float], None] | None = None,
) -> T:
    """Call `fn` up to `attempts` times, sleeping `rand() * min(max, base * 2**i)` between tries.

    Full jitter (the delay is anywhere from zero to the cap) spreads the retries of many Lambda
    containers that failed together, so they do not hit a recovering dependency in lockstep.

    The deadline wins over the attempt count: a retry is skipped when less than
    `attempt_timeout_seconds` (the longest one attempt may take) is left, and its delay is
    shortened so that at least that much is still left when it starts; nothing ever sleeps
    past the deadline. When no retry happens, the last error is re-raised unchanged. The first attempt
    always runs unless the deadline has already passed (then `BudgetExceeded`): `fn` is
    expected to shrink its own timeout to the time left.

    `on_retry(attempt_number, error, delay)` is called before each sleep, for logs and metrics.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    if base_delay_seconds < 0 or max_delay_seconds < 0 or attempt_timeout_seconds < 0:
        raise ValueError("delays and timeouts must not be negative")
    if deadline.remaining_seconds() <= 0:
        raise BudgetExceeded("no time left for a first attempt")
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as error:
            if attempt + 1 >= attempts or not is_retryable(error):
                raise
            remaining = deadline.remaining_seconds()
            if remaining <= 0 or remaining < attempt_timeout_seconds:
                raise  # a retry could not finish before the deadline: do not start it
            cap = backoff_cap(attempt, base_delay_seconds, max_delay_seconds)
            delay = min(rand() * cap, remaining - attempt_timeout_seconds)
            if on_retry is not None:
                on_retry(attempt + 1, error, delay)
            if delay > 0:
                sleep(delay)
                if deadline.remaining_seconds() <= 0:
                    raise  # the delay used up the budget (only with attempt_timeout_seconds=0)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
