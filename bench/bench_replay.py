"""Replay: re-deciding stored decision contexts with a candidate rule set, and reading them back.

Stored decisions are made the way ivr_decision makes them (`build_context`, `decide`,
`interaction_item`) for seeded callers spread over a day, and written to the sandbox's Interactions
table (moto). Two figures, printed apart: reading them back (Scan and rebuilding each context: moto's
latency is not DynamoDB's, so this one only compares runs on one machine) and re-deciding the loaded
contexts with the Lambda's `decide` (the replay engine's own loop: the figure with a goal, in the
thread's CPU time so the shared machine's preemptions are left out; the wall clock follows).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import REPO, decision_events, heading
from lambdas.documents.registry import bundled_defaults, parse_file
from lambdas.ivr_decision.decide import Documents, decide
from lambdas.ivr_decision.interaction_store import interaction_item
from lambdas.ivr_decision.signals import build_context
from lambdas.shared.dynamodb_item import to_dynamodb
from lambdas.shared.tables import INTERACTIONS
from tandem.local import Sandbox, sandbox
from tandem.replay.contexts import StoredDecision, read_decisions
from tandem.replay.engine import candidate_documents, replay

GOAL_PER_SECOND = 20_000
STORED = 1_000  # moto's Scan costs milliseconds an item: enough to compare runs, not minutes
ROUNDS = 10
MONDAY_8_NY = datetime(2026, 11, 23, 13, tzinfo=UTC)
ZONE = ZoneInfo("America/New_York")
CANDIDATE = REPO / "examples" / "candidates" / "deflect-order-status.json"
WRITE_BATCH = 25  # BatchWriteItem's limit


def main(stored: int = STORED) -> None:
    heading("replay (tandem replay)")
    shipped = bundled_defaults()
    with sandbox(attach=False) as box:
        _store(box, stored, candidate_documents(shipped, {}))
        table = box.table_names[INTERACTIONS.env_var]
        started = time.perf_counter()
        loaded = read_decisions(box.client("dynamodb"), table, None, ZONE)
        reading = time.perf_counter() - started
    assert len(loaded.decisions) == stored and not loaded.not_replayable
    print(
        f"reading from the store (moto): {stored:,} decisions in {reading:.2f} s, "
        f"{stored / reading:,.0f} decisions/s ({loaded.pages} Scan pages; no goal: DynamoDB's own "
        "latency and page size decide it in an account)"
    )
    documents = candidate_documents(
        {n: shipped[n] for n in ("content", "calendar")}, {"rules": parse_file(CANDIDATE)}
    )
    cpu, wall, changed = _redecide(loaded.decisions, documents)
    median = statistics.median(cpu)
    print(
        f"re-deciding loaded contexts ({stored:,} decisions x {ROUNDS} rounds, candidate "
        f"{CANDIDATE.name}, {changed:,} changed): median {median:,.0f} decisions/s of CPU time "
        f"(goal >= {GOAL_PER_SECOND:,}/s: {'met' if median >= GOAL_PER_SECOND else 'NOT MET'}); wall clock "
        f"median {statistics.median(wall):,.0f}/s (load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores)"
    )


def _store(box: Sandbox, count: int, documents: Documents) -> None:
    """`count` decisions as ivr_decision stores them, one every few seconds from 08:00 New York."""
    dynamodb, table = box.client("dynamodb"), box.table_names[INTERACTIONS.env_var]
    items = []
    for index, event in enumerate(decision_events(count, order_statuses=("SHIPPED", "DELAYED", "LOST"))):
        moment = MONDAY_8_NY + timedelta(seconds=7 * index)
        context = build_context(event, documents.rules, documents.calendar, moment, ZONE)
        item = interaction_item(
            event, context, decide(context, documents), documents, now=moment, ttl_days=90
        )
        items.append({"PutRequest": {"Item": to_dynamodb(item)}})
    for start in range(0, len(items), WRITE_BATCH):
        dynamodb.batch_write_item(RequestItems={table: items[start : start + WRITE_BATCH]})


def _redecide(decisions: list[StoredDecision], documents: Documents) -> tuple[list[float], list[float], int]:
    """Decisions per second of CPU time and of wall-clock time, a figure per round; decisions changed."""
    cpu, wall, changed = [], [], 0
    for _ in range(ROUNDS):
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = replay(decisions, documents)
        cpu.append(len(decisions) / (time.thread_time() - started_cpu))
        wall.append(len(decisions) / (time.perf_counter() - started))
        changed = result.changed
    return cpu, wall, changed


if __name__ == "__main__":
    main()
