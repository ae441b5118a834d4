"""ivr_decision: decision time with 100 rules, AWS calls per warm invocation (cold start elsewhere)."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import decision_events, heading, verdict
from lambdas.documents.registry import DEFAULTS_DIR, bundled_defaults
from lambdas.ivr_decision.decide import Documents, decide
from lambdas.ivr_decision.signals import build_context
from lambdas.policy.rules import parse_rules
from tandem.demo.events import DemoCall, contact_event
from tandem.local import sandbox

WARM_CALLS_BUDGET = 1
RULE_COUNT = 100
DECISIONS = 20_000
MONDAY_10_NY = datetime(2026, 11, 23, 15, tzinfo=UTC)


def main() -> None:
    heading("ivr_decision")
    _decision_time()
    _aws_calls()


def hundred_rules() -> dict[str, Any]:
    """The shipped policy plus realistic extra rules (intent, tier and queue load), still first-match."""
    document = json.loads((DEFAULTS_DIR / "rules.json").read_text(encoding="utf-8"))
    shipped = document["rules"]
    intents = [i for i in document["intents"] if i not in ("UNKNOWN", "OTHER")]
    extra = []
    for n in range(RULE_COUNT - len(shipped)):
        extra.append(
            {
                "id": f"bench-{n:03d}",
                "when": {
                    "all": [
                        {"fact": "intent", "eq": intents[n % len(intents)]},
                        {"fact": "tier", "in": ["gold", "vip"] if n % 2 else ["standard"]},
                        {
                            "any": [
                                {"fact": "contactsInQueue", "gte": 40 + n},
                                {"fact": "openComplaints", "gte": 3},
                            ]
                        },
                    ]
                },
                "action": {"route": "AGENT", "queue": "general"},
                "reason": f"BENCH_{n:03d}",
            }
        )
    document["rules"] = shipped[:9] + extra + shipped[9:]  # after self-service, hours and VIP rules
    return document


def _decision_time() -> None:
    defaults = bundled_defaults()
    rules = parse_rules(hundred_rules())
    documents = Documents(rules, defaults["content"].value, defaults["calendar"].value, {})  # type: ignore[arg-type]
    zone = ZoneInfo("America/New_York")
    events = decision_events(1000, order_statuses=("SHIPPED",), eta="2026-11-25")
    timings: list[float] = []
    routes: dict[str, int] = {}
    for n in range(DECISIONS):
        event = events[n % len(events)]
        started = time.perf_counter()
        context = build_context(event, rules, documents.calendar, MONDAY_10_NY, zone)
        decision = decide(context, documents)
        timings.append((time.perf_counter() - started) * 1_000_000)
        routes[decision.route.value] = routes.get(decision.route.value, 0) + 1
    timings.sort()
    p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99)]
    print(
        f"decision logic (context + {len(rules.rules)} rules, those that can match tested), "
        f"{DECISIONS} decisions: p50 {p50:.0f} µs, p99 {p99:.0f} µs per decision"
    )
    print(f"  routes in the mix: {', '.join(f'{k} {v}' for k, v in sorted(routes.items()))}")


def _aws_calls() -> None:
    with sandbox(attach=False, env={"IVR_RULES_MAX_AGE_SECONDS": "60"}) as box, box.clock(MONDAY_10_NY):
        raw = contact_event(DemoCall("bench", "+12025550101"), 1)
        raw["Details"]["Parameters"] = {"intent": "Returns", "intentConfidence": "0.9"}
        box.invoke("ivr_decision", raw)
        cold = box.last.aws_calls
        warm = []
        for _ in range(50):
            box.invoke("ivr_decision", raw)
            warm.append(len(box.last.aws_calls))
    worst = max(warm)
    print(
        f"AWS calls on a cold start: {len(cold)} ({', '.join(cold)}; in Lambda the store read runs in init)"
    )
    print(
        f"AWS calls per warm invocation: {worst} (the interaction PutItem; budget {WARM_CALLS_BUDGET}: "
        f"{verdict(worst, WARM_CALLS_BUDGET)}); once per max age (60 s) per container one more, "
        "read of the store, GetParametersByPath (two pages of 10 with the five shipped documents)"
    )
