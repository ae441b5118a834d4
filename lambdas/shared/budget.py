"""A hard time budget for work a Connect block is waiting on.

Client timeouts bound each network attempt, but not the sum of attempts, DNS stalls or a slow
adapter. `run_within` hands the work to a worker thread and waits for it until the deadline, so
the handler can still answer with what it knows before Connect takes the Error branch.

The workers are a small pool per container (per process), started on first use and reused, so a
budgeted call costs a hand-over between two threads rather than a thread started and joined.
Python cannot stop a thread, so work that overruns keeps its worker until the work ends (its
clients' own timeouts bound that) and the next call is given another: an idle worker if there is
one, else a new one while the pool holds fewer than MAX_POOL_WORKERS, else a thread of its own that
ends with the work. No call ever waits for a worker, so none is held past its deadline by work that
another call abandoned.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")

# Time kept back from Lambda's remaining time to build and return the response.
RESPONSE_RESERVE_MS = 150
# Workers kept per container: one serves every call while dependencies answer; the others stand in
# while work abandoned at its deadline still holds a worker.
MAX_POOL_WORKERS = 4
WORKER_NAME = "tandem-budgeted-work"


class BudgetExceeded(TimeoutError):
    """The work did not finish inside the time budget."""


class Deadline(NamedTuple):
    at: float  # time.monotonic() value

    @classmethod
    def after_ms(cls, budget_ms: float, context: Any = None) -> Deadline:
        """The earlier of `budget_ms` from now and the Lambda's own remaining time."""
        budget = float(budget_ms)
        remaining = _remaining_ms(context)
        if remaining is not None:
            budget = min(budget, remaining - RESPONSE_RESERVE_MS)
        return cls(time.monotonic() + max(budget, 0.0) / 1000.0)

    def sooner(self, budget_ms: float) -> Deadline:
        """This deadline, or `budget_ms` from now if that comes first: a share for one step."""
        return Deadline(min(self.at, time.monotonic() + max(budget_ms, 0.0) / 1000.0))

    def remaining_seconds(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def expired(self) -> bool:
        return time.monotonic() >= self.at


def run_within(deadline: Deadline, work: Callable[[], T]) -> T:
    """Run `work` on a worker thread and return its result, or raise `BudgetExceeded` at the deadline.

    An exception the work raises is raised here, in the caller's thread. Work that overruns keeps
    running on its worker (Python cannot kill a thread); its result is discarded.
    """
    call = _Call(work)
    _POOL.submit(call)
    if not call.done.acquire(timeout=min(deadline.remaining_seconds(), threading.TIMEOUT_MAX)):
        raise BudgetExceeded("work did not finish inside the time budget")
    if call.error is not None:
        error, call.error = call.error, None
        try:
            raise error
        finally:
            del error  # the traceback would otherwise keep this frame, and the error, alive
    return call.value  # type: ignore[return-value]


def settle(timeout: float) -> bool:
    """Wait up to `timeout` seconds until no budgeted work is running, abandoned work included.

    For tests and the sandbox, which must let late work finish before its backend goes away;
    True when none is left.
    """
    return _POOL.settle(timeout)


class _Call(Generic[T]):
    """One budgeted call: its work, and the outcome once `done` can be acquired."""

    __slots__ = ("done", "error", "value", "work")

    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()  # released by the worker once the outcome is in

    def run(self) -> None:
        try:
            # A fresh context, as a thread of its own would start with: nothing carries over
            # from one call to the next on the same worker.
            self.value = contextvars.Context().run(self.work)
        except BaseException as error:  # raised again in the caller's thread
            self.error = error


class _Pool:
    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._start_empty()

    def _start_empty(self) -> None:
        # Also in a forked child, which inherits these objects but none of the threads behind them.
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._calls: queue.SimpleQueue[_Call[Any]] = queue.SimpleQueue()
        self._workers = 0  # pool workers alive
        self._idle = 0  # pool workers free to take a call (each put is taken by one of them)
        self._running = 0  # calls whose work has not ended, in or out of the pool

    def submit(self, call: _Call[Any]) -> None:
        with self._lock:
            self._running += 1
            if self._idle:
                self._idle -= 1
                self._calls.put(call)
                return
            pooled = self._workers < self._max_workers
            self._workers += pooled
        target = self._serve if pooled else self._run_alone
        try:
            threading.Thread(target=target, args=(call,), name=WORKER_NAME, daemon=True).start()
        except BaseException:
            with self._lock:
                self._running -= 1
                self._workers -= pooled
            raise

    def settle(self, timeout: float) -> bool:
        with self._settled:
            return self._settled.wait_for(lambda: not self._running, timeout)

    def _serve(self, call: _Call[Any]) -> None:
        calls = self._calls
        while True:
            call.run()
            self._finish(call, idle=True)
            call = calls.get()

    def _run_alone(self, call: _Call[Any]) -> None:
        call.run()
        self._finish(call, idle=False)

    def _finish(self, call: _Call[Any], *, idle: bool) -> None:
        with self._lock:
            self._running -= 1
            self._idle += idle
            if not self._running:
                self._settled.notify_all()
        # Only now: the caller's next call must find this worker idle, not start another.
        call.done.release()


_POOL = _Pool(MAX_POOL_WORKERS)


def _empty_pool_in_child() -> None:
    _POOL._start_empty()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_empty_pool_in_child)


def _remaining_ms(context: Any) -> float | None:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if getter is None:
        return None
    try:
        return float(getter())
    except (TypeError, ValueError):
        return None
