"""A dependency that never answers: the caller is answered at the budget, and so is every next caller.

The hang is real: ivr_decision's own DynamoDB client waits, in its send path (a `before-send` hook
on that client, ahead of moto), on an Event the test sets only when it ends. Python cannot stop
that thread, so the budget's pool (lambdas/shared/budget.py) must serve the next invocations from
another worker — in budget, with their writes recorded — and, when every write hangs, still answer
each one at its deadline once all the pooled workers are taken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.shared import budget
from lambdas.shared.budget import MAX_POOL_WORKERS
from tandem.local import Sandbox, sandbox
from tandem.local.sandbox import handler_module
from tests.conftest import assert_flow_contract, load_event
from tests.integration.test_ivr_decision_handler import MONDAY_10_NY
from tests.reliability.test_fault_matrix import MARGIN_SECONDS

BUDGET_MS = 300
CALLS_AFTER = MAX_POOL_WORKERS + 2  # more than the pool holds


class HungWrites:
    """Holds the interaction writes it is told to, until the test ends."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.hang_next = 0  # how many of the next PutItems never answer (-1: all of them)
        self.held = 0

    def __call__(self, **_: Any) -> None:
        if self.hang_next == 0:
            return
        self.hang_next -= self.hang_next > 0
        self.held += 1
        self.released.wait()


@pytest.fixture
def hung() -> Iterator[tuple[Sandbox, HungWrites]]:
    writes = HungWrites()
    env = {"DECISION_BUDGET_MS": str(BUDGET_MS)}
    with sandbox(attach=False, env=env) as box, box.clock(MONDAY_10_NY):
        box.invoke("ivr_decision", event(0))  # a warm container, its client built
        client = handler_module("ivr_decision").CONTAINER.get().dynamodb
        client.meta.events.register_first("before-send.dynamodb.PutItem", writes)
        try:
            yield box, writes
        finally:
            writes.released.set()
            assert budget.settle(timeout=10)  # late writes land before the backend goes


def event(n: int) -> dict[str, Any]:
    raw = load_event("voice_known_gold.json")
    raw["Details"]["ContactData"]["ContactId"] = f"{n:08d}-1111-4111-8111-111111111111"
    raw["Details"]["ContactData"]["InitialContactId"] = f"{n:08d}-1111-4111-8111-111111111111"
    raw["Details"]["Parameters"] = {"intent": "Returns", "intentConfidence": "1"}
    return raw


def timed(box: Sandbox, raw: dict[str, Any]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    response = box.invoke("ivr_decision", raw)
    elapsed = time.perf_counter() - started
    assert_flow_contract(response)
    return response, elapsed


def recorded_contacts(box: Sandbox) -> set[str]:
    items = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    return {item["contactId"]["S"] for item in items if item["type"]["S"] == "DECISION"}


def test_after_one_write_hangs_forever_the_next_callers_are_answered_and_recorded(
    hung: tuple[Sandbox, HungWrites],
) -> None:
    box, writes = hung
    # Given one interaction write that never answers
    writes.hang_next = 1
    response, elapsed = timed(box, event(1))
    # Then that caller gets the decision at the budget, the gap counted
    assert (response["status"], response["route"], response["interactionRecorded"]) == (
        "OK",
        "SELF_SERVICE",
        "false",
    )
    assert elapsed < BUDGET_MS / 1000 + MARGIN_SECONDS, elapsed
    assert writes.held == 1
    # And every caller after it, while that write still hangs, is answered and recorded
    for n in range(2, 2 + CALLS_AFTER):
        response, elapsed = timed(box, event(n))
        assert (response["status"], response["interactionRecorded"]) == ("OK", "true"), n
        assert elapsed < BUDGET_MS / 1000 + MARGIN_SECONDS, (n, elapsed)
    assert writes.held == 1 and not writes.released.is_set()
    contacts = recorded_contacts(box)
    assert {event(n)["Details"]["ContactData"]["ContactId"] for n in range(2, 2 + CALLS_AFTER)} <= contacts
    assert event(1)["Details"]["ContactData"]["ContactId"] not in contacts


def test_when_every_write_hangs_each_caller_is_still_answered_at_the_budget(
    hung: tuple[Sandbox, HungWrites],
) -> None:
    box, writes = hung
    # Given a table that never answers again: more hung writes than the pool has workers
    writes.hang_next = -1
    for n in range(1, 1 + CALLS_AFTER):
        response, elapsed = timed(box, event(n))
        # Then each caller still gets its decision, at its own deadline
        assert (response["status"], response["route"], response["interactionRecorded"]) == (
            "OK",
            "SELF_SERVICE",
            "false",
        ), n
        assert elapsed < BUDGET_MS / 1000 + MARGIN_SECONDS, (n, elapsed)
    assert writes.held == CALLS_AFTER
    assert any(line.get("message") == "interaction not recorded" for line in box.last.log_lines)
