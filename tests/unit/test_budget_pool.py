"""The budget's worker pool (lambdas/shared/budget.py): reused threads, the same deadline semantics.

Each test runs on a fresh pool (the container-wide one is swapped out), so work a test abandons
cannot change what another test sees. Hung work waits on an Event that the test sets only when it
ends, so its worker is free again afterwards.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Iterator

import pytest

from lambdas.shared import budget
from lambdas.shared.budget import MAX_POOL_WORKERS, BudgetExceeded, Deadline, run_within

GENEROUS_MS = 5_000  # a deadline no working call comes near
SHORT_MS = 100  # a deadline a hung call overruns


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(budget, "_POOL", budget._Pool(MAX_POOL_WORKERS))
    yield
    assert budget.settle(timeout=5), "budgeted work still running after the test released it"


@pytest.fixture
def hang() -> Iterator[threading.Event]:
    """Set only when the test ends: work waiting on it is hung for the whole test."""
    never = threading.Event()
    yield never
    never.set()


def worker() -> threading.Thread:
    return threading.current_thread()


def test_the_work_s_value_comes_back() -> None:
    assert run_within(Deadline.after_ms(GENEROUS_MS), lambda: {"answer": 42}) == {"answer": 42}
    assert run_within(Deadline.after_ms(GENEROUS_MS), lambda: None) is None


class Refused(Exception):
    pass


class Stop(BaseException):
    """Not an Exception: still handed to the caller, not lost on the worker."""


def _stop() -> None:
    raise Stop


def test_the_work_s_exception_is_raised_in_the_caller_s_thread_and_nothing_is_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = Refused("no")
    raised_on: list[threading.Thread] = []

    def fails() -> None:
        raised_on.append(worker())
        raise error

    with pytest.raises(Refused) as caught:
        run_within(Deadline.after_ms(GENEROUS_MS), fails)
    assert caught.value is error  # the same object, so callers can inspect it
    assert raised_on and raised_on[0] is not threading.current_thread()
    # The traceback reaches from the caller into the work, as if it had run here
    assert "fails" in [entry.name for entry in caught.traceback]
    with pytest.raises(Stop):
        run_within(Deadline.after_ms(GENEROUS_MS), _stop)
    # The worker reports nothing itself: no "Exception in thread" on stderr
    assert capsys.readouterr().err == ""
    # And the pool's worker survives both to serve the next call
    assert run_within(Deadline.after_ms(GENEROUS_MS), lambda: "next") == "next"


def test_work_past_the_deadline_raises_at_the_deadline_and_its_late_result_is_discarded() -> None:
    release, finished = threading.Event(), threading.Event()

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "late"

    started = time.monotonic()
    with pytest.raises(BudgetExceeded):
        run_within(Deadline.after_ms(SHORT_MS), slow)
    waited = time.monotonic() - started
    assert SHORT_MS / 1000 <= waited < 2.0  # at the deadline, not when the work ends
    release.set()
    assert finished.wait(5)  # the work did end, and its value went nowhere
    assert run_within(Deadline.after_ms(GENEROUS_MS), lambda: "fresh") == "fresh"


def test_an_expired_deadline_still_gives_the_work_its_start_and_no_wait() -> None:
    ran = threading.Event()
    deadline = Deadline.after_ms(0)

    def work() -> None:
        time.sleep(0.2)
        ran.set()

    with pytest.raises(BudgetExceeded):
        run_within(deadline, work)
    assert ran.wait(5)


def test_a_thousand_calls_reuse_the_same_worker() -> None:
    threads_before = threading.active_count()
    used: set[threading.Thread] = set()  # the Thread objects themselves: an id could be reused
    for n in range(1000):
        assert run_within(Deadline.after_ms(GENEROUS_MS), lambda n=n: (used.add(worker()), n)[1]) == n
    assert len(used) == 1  # one call at a time needs one worker
    assert threading.active_count() <= threads_before + 1


def test_a_call_whose_worker_is_hung_is_served_by_another(hang: threading.Event) -> None:
    # Given one call whose dependency never answers
    hung_on: list[threading.Thread] = []

    def hung() -> None:
        hung_on.append(worker())
        hang.wait()

    with pytest.raises(BudgetExceeded):
        run_within(Deadline.after_ms(SHORT_MS), hung)
    # Then the next calls get their answers, from a worker that is not the hung one
    served_by = {run_within(Deadline.after_ms(GENEROUS_MS), worker) for _ in range(50)}
    assert hung_on[0] not in served_by
    assert len(served_by) == 1


def test_when_every_pooled_worker_is_hung_a_call_still_answers_and_the_pool_stays_bounded(
    hang: threading.Event,
) -> None:
    # Given more hung calls than the pool has workers
    for _ in range(MAX_POOL_WORKERS + 2):
        started = time.monotonic()
        with pytest.raises(BudgetExceeded):
            run_within(Deadline.after_ms(SHORT_MS), hang.wait)
        assert time.monotonic() - started < 2.0  # each gave up at its own deadline
    # Then a working call still answers (on a thread of its own), and the pool kept its bound
    assert run_within(Deadline.after_ms(GENEROUS_MS), lambda: "answered") == "answered"
    pool_workers = [t for t in threading.enumerate() if t.name == budget.WORKER_NAME]
    assert budget._POOL._workers == MAX_POOL_WORKERS
    # Once the dependency answers, the extra threads end and the pool's workers serve again
    hang.set()
    assert budget.settle(timeout=5)
    served_by = {run_within(Deadline.after_ms(GENEROUS_MS), worker) for _ in range(20)}
    assert served_by <= set(pool_workers)


def test_concurrent_callers_each_get_their_own_answer() -> None:
    callers, calls_each = 12, 60
    start = threading.Barrier(callers)
    wrong: list[str] = []

    def caller(me: int) -> None:
        start.wait()
        for n in range(calls_each):
            expected = (me, n)
            if n % 7 == 0:
                try:
                    run_within(
                        Deadline.after_ms(GENEROUS_MS),
                        lambda expected=expected: _raise(Refused(repr(expected))),
                    )
                except Refused as error:
                    if str(error) != repr(expected):
                        wrong.append(f"{expected}: raised {error}")
                continue
            got = run_within(Deadline.after_ms(GENEROUS_MS), lambda expected=expected: expected)
            if got != expected:
                wrong.append(f"{expected}: got {got}")

    threads = [threading.Thread(target=caller, args=(me,)) for me in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert wrong == []
    assert not any(thread.is_alive() for thread in threads)
    assert budget._POOL._workers <= MAX_POOL_WORKERS


def _raise(error: Exception) -> None:
    raise error


REQUEST = contextvars.ContextVar("REQUEST", default="none")


def test_nothing_a_call_sets_in_its_context_is_seen_by_the_next() -> None:
    # As on a thread of its own: the worker's context starts empty for every call
    REQUEST.set("caller's")
    assert run_within(Deadline.after_ms(GENEROUS_MS), REQUEST.get) == "none"
    run_within(Deadline.after_ms(GENEROUS_MS), lambda: REQUEST.set("first call's"))
    assert run_within(Deadline.after_ms(GENEROUS_MS), REQUEST.get) == "none"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_its_own_workers() -> None:
    run_within(Deadline.after_ms(GENEROUS_MS), lambda: None)  # the parent's worker exists
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code only
        code = 1
        try:
            code = 0 if run_within(Deadline.after_ms(1000), lambda: "child") == "child" else 1
        finally:
            os._exit(code)  # never back into pytest, whatever happened
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
