"""The decision engine: decision time (context + rules) with 100 and 1,000 rules, indexed and scanned.

The rule sets are generated over the real facts the way a growing contact centre's would grow:
more intents, about ten rules each (mostly `all` led by the intent), a few led by hours, channel,
language or tier, and a few with no indexable first test (a number or an `any`). The callers are
the same for both sizes, so at 1,000 rules most rules concern intents the caller does not have.
The full scan is the same `decide` with the index emptied, timed interleaved in the same run.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import decision_events, heading, verdict
from lambdas.documents.registry import DEFAULTS_DIR, bundled_defaults
from lambdas.documents.storage_format import DOCUMENT_MAX_BYTES, compact_json
from lambdas.ivr_decision.decide import Documents, decide
from lambdas.ivr_decision.signals import build_context
from lambdas.policy.rules import MAX_RULES, parse_rules
from lambdas.shared.event import ContactEvent

SIZES = (100, 1_000)
P99_GOALS_US = {100: 200.0, 1_000: 500.0}
RATIO_GOAL = 3.0
DECISIONS = 4_000  # per variant, interleaved
RULES_PER_INTENT = 10
MONDAY_10_NY = datetime(2026, 11, 23, 15, tzinfo=UTC)
ZONE = ZoneInfo("America/New_York")


def main(decisions: int = DECISIONS) -> None:
    heading("decision engine (rule index)")
    defaults = bundled_defaults()
    content, calendar = defaults["content"].value, defaults["calendar"].value
    variants: dict[str, Documents] = {}
    for size in SIZES:
        indexed = parse_rules(rule_set(size))
        variants[f"indexed {size}"] = Documents(indexed, content, calendar, {})  # type: ignore[arg-type]
        variants[f"scan {size}"] = Documents(indexed.unindexed(), content, calendar, {})  # type: ignore[arg-type]
    cpu, wall, candidates = _time(
        variants, decision_events(1_000, order_statuses=("SHIPPED", "DELAYED", "LOST")), decisions
    )
    print(
        f"CPU time per decision ({decisions:,} each, interleaved; the thread's CPU clock, so the shared "
        f"machine's preemptions are left out; wall-clock figures follow; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    p99 = {name: _percentile(values, 0.99) for name, values in cpu.items()}
    for name, values in cpu.items():
        kind, size = name.split()[0], int(name.split()[1])
        goal = f"goal p99 ≤ {P99_GOALS_US[size]:.0f} µs: {verdict(p99[name], P99_GOALS_US[size])}"
        print(
            f"decision, context + {size:,} rules, {kind}: p50 {statistics.median(values):.0f} µs, "
            f"p99 {p99[name]:.0f} µs ({goal if kind == 'indexed' else 'before: every rule tested'})"
        )
    for kind in ("indexed", "scan"):
        ratio = p99[f"{kind} 1000"] / p99[f"{kind} 100"]
        judged = f": {verdict(ratio, RATIO_GOAL)}" if kind == "indexed" else "; before"
        print(f"p99(1,000)/p99(100), {kind}: {ratio:.2f} (goal ≤ {RATIO_GOAL:.0f}{judged})")
    print(
        "wall clock, p50 / p99: "
        + ", ".join(
            f"{name} {statistics.median(v):.0f} / {_percentile(v, 0.99):.0f} µs" for name, v in wall.items()
        )
    )
    print(
        "rules tested per decision, indexed: "
        + ", ".join(f"{statistics.mean(candidates[f'indexed {s}']):.0f} of {s:,}" for s in SIZES)
    )
    _storage()


def rule_set(size: int, seed: int = 17) -> dict[str, Any]:
    """The shipped policy grown to `size` rules over about `size / RULES_PER_INTENT` intents."""
    chooser = random.Random(seed)
    document: dict[str, Any] = json.loads((DEFAULTS_DIR / "rules.json").read_text(encoding="utf-8"))
    shipped = document["rules"]
    declared = [i for i in document["intents"] if i not in ("UNKNOWN", "OTHER")]
    extra_intents = [f"TOPIC_{n:03d}" for n in range(max(0, size // RULES_PER_INTENT - len(declared)))]
    document["intents"] += extra_intents
    intents = declared + extra_intents
    extra = [_rule(n, chooser, intents) for n in range(size - len(shipped))]
    document["rules"] = shipped[:9] + extra + shipped[9:]  # after self-service, hours and VIP rules
    return document


def _rule(n: int, chooser: random.Random, intents: list[str]) -> dict[str, Any]:
    intent = intents[n % len(intents)]
    extras = chooser.sample(_conditions(chooser), chooser.randint(1, 2))
    kind = chooser.random()
    if kind < 0.85:  # about one intent
        lead: dict[str, Any] = {"fact": "intent", "eq": intent}
        if chooser.random() < 0.2:
            lead = {"fact": "intent", "in": [intent, chooser.choice(intents)]}
        when: dict[str, Any] = {"all": [lead, *extras]}
    elif kind < 0.93:  # about the call: hours, channel, language, tier
        lead = chooser.choice(
            [
                {"fact": "hours", "eq": chooser.choice(["AFTER_HOURS", "HOLIDAY"])},
                {"fact": "channel", "eq": "CHAT"},
                {"fact": "language", "eq": chooser.choice(["vi", "fr", "es"])},
                {"fact": "tier", "eq": chooser.choice(["gold", "vip"])},
            ]
        )
        when = {"all": [lead, {"fact": "intent", "eq": intent}, *extras[:1]]}
    else:  # nothing to index by: a number first, or an `any`
        when = chooser.choice(
            [
                {"all": [{"fact": "failedAttempts", "gte": 3}, {"fact": "intent", "eq": intent}]},
                {"any": [{"fact": "openComplaints", "gte": 3 + n % 4}, {"all": extras}]},
            ]
        )
    route = chooser.choices(["AGENT", "CALLBACK", "SELF_SERVICE"], [75, 15, 10])[0]
    action: dict[str, Any] = {"route": route}
    if route == "AGENT":
        action |= {"queue": chooser.choice(["general", "priority"]), "priorityChange": chooser.randint(0, 2)}
    elif route == "CALLBACK":
        action |= {"queue": "callback"}
    return {"id": f"generated-{n:04d}", "when": when, "action": action, "reason": f"GENERATED_{n % 50:02d}"}


def _conditions(chooser: random.Random) -> list[dict[str, Any]]:
    return [
        {"fact": "tier", "in": chooser.choice([["gold", "vip"], ["standard"]])},
        {"fact": "sentiment", "eq": "NEGATIVE"},
        {"fact": "confidence", "gte": chooser.choice([0.5, 0.7, 0.9])},
        {"fact": "failedAttempts", "gte": chooser.randint(1, 3)},
        {"fact": "recentContacts72h", "gte": chooser.randint(1, 4)},
        {"fact": "contactsInQueue", "gte": chooser.randint(20, 120)},
        {"fact": "customerFound", "eq": chooser.random() < 0.8},
        {"any": [{"fact": "estimatedWaitSeconds", "gte": 600}, {"fact": "agentsAvailable", "eq": 0}]},
        {"not": {"fact": "channel", "eq": "CHAT"}},
    ]


def _time(
    variants: dict[str, Documents], events: list[ContactEvent], decisions: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[int]]]:
    """µs of CPU and of wall time per decision for each variant, taking turns on each event so
    drift hits all alike; and how many rules each decision tested."""
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    wall: dict[str, list[float]] = {name: [] for name in variants}
    candidates: dict[str, list[int]] = {name: [] for name in variants}
    for n in range(decisions):
        event = events[n % len(events)]
        answers = set()
        for name, documents in variants.items():
            started_wall, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
            context = build_context(event, documents.rules, documents.calendar, MONDAY_10_NY, ZONE)
            decision = decide(context, documents)
            cpu[name].append((time.thread_time_ns() - started_cpu) / 1_000)
            wall[name].append((time.perf_counter_ns() - started_wall) / 1_000)
            candidates[name].append(len(documents.rules.index.candidates(context.facts)))
            answers.add((name.split()[1], decision))
        if len(answers) != len(SIZES):
            raise AssertionError(f"indexed and scanned decisions differ for event {n}: {answers}")
    return cpu, wall, candidates


def _storage() -> None:
    """How many generated rules the store holds: the cap that binds before speed does."""
    fits = max(
        size
        for size in range(100, 2_001, 25)
        if len(compact_json(rule_set(size)).encode()) <= DOCUMENT_MAX_BYTES
    )
    size_1000 = len(compact_json(rule_set(1_000)).encode()) / 1024
    print(
        f"rule cap: {MAX_RULES:,} rules per set (decision cost allows it); the store holds "
        f"{DOCUMENT_MAX_BYTES // 1024} KB per document: the 1,000-rule set is {size_1000:.0f} KB, "
        f"about {fits} such rules fit — the store binds first"
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
