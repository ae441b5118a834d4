"""A hard time budget for work a Connect block is waiting on.

Client timeouts bound each network attempt, but not the sum of attempts, DNS stalls or a slow
adapter. `run_within` waits for the work on a daemon thread and gives up at the deadline, so the
handler can still answer with what it knows before Connect takes the Error branch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# Time kept back from Lambda's remaining time to build and return the response.
RESPONSE_RESERVE_MS = 150


class BudgetExceeded(TimeoutError):
    """The work did not finish inside the time budget."""


@dataclass(frozen=True)
class Deadline:
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
    """Run `work` and return its result, or raise `BudgetExceeded` at the deadline.

    Work that overruns keeps running on its daemon thread (Python cannot kill a thread); its
    result is discarded. Clients' own timeouts bound how long it lingers.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=target, name="tandem-budgeted-work", daemon=True)
    worker.start()
    worker.join(deadline.remaining_seconds())
    if worker.is_alive():
        raise BudgetExceeded("work did not finish inside the time budget")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _remaining_ms(context: Any) -> float | None:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if getter is None:
        return None
    try:
        return float(getter())
    except (TypeError, ValueError):
        return None
