"""A replay's projected KPIs from hand-built moves and outcomes: each basis, each fallback, exactly."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.ctr_ingest.aggregates import packed, state_key
from lambdas.shared.dynamodb_item import to_dynamodb
from tandem.replay.model import CallMove
from tandem.replay.outcomes import CallOutcome, OutcomesIncomplete, outcome_of, read_outcomes
from tandem.replay.projection import project, projection_tables

DECIDED = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)  # a fixed moment: nothing here reads the clock


def outcome(
    intent: str,
    route: str,
    interval: str,
    *,
    outcome: str,
    resolved: bool = False,
    handle: int | None = None,
) -> CallOutcome:
    return CallOutcome(
        intent=intent,
        route=route,
        queue=interval.split("@")[0],
        interval=interval,
        outcome=outcome,
        contained=outcome == "contained",
        resolved=resolved,
        recontacted=outcome == "contained" and not resolved,
        handled=handle is not None,
        handle_seconds=handle or 0,
    )


def move(call: str, intent: str, route: str, queue: str | None = None) -> CallMove:
    """A call decided `route` (to `queue`) and decided the same again."""
    return CallMove(call, DECIDED, intent, route, route, "rule-" + call, "rule-" + call, queue, queue)


def moved(original: CallMove, route: str, queue: str | None = None) -> CallMove:
    return replace(original, replayed_route=route, replayed_rule="candidate", replayed_queue=queue)


# Seven calls: decided route (the move) and what became of them (ctr_ingest's outcome)
MOVES = {
    "c1": move("c1", "ORDER_STATUS", "SELF_SERVICE"),
    "c2": move("c2", "ORDER_STATUS", "SELF_SERVICE"),
    "c3": move("c3", "ORDER_STATUS", "SELF_SERVICE"),
    "c4": move("c4", "ORDER_STATUS", "AGENT", "general"),
    "c5": move("c5", "BILLING", "AGENT", "billing"),
    "c6": move("c6", "BILLING", "SELF_SERVICE"),
    "c7": move("c7", "", "CLOSED"),
}
OUTCOMES = {
    "c1": outcome("ORDER_STATUS", "SELF_SERVICE", "NONE@09:00", outcome="contained", resolved=True),
    "c2": outcome("ORDER_STATUS", "SELF_SERVICE", "NONE@09:00", outcome="contained"),  # rang back
    "c3": outcome("ORDER_STATUS", "AGENT", "general@09:00", outcome="transferred", handle=300),  # handed over
    "c4": outcome("ORDER_STATUS", "AGENT", "general@09:00", outcome="transferred", handle=600),
    "c5": outcome("BILLING", "AGENT", "billing@09:30", outcome="transferred", handle=240),
    "c6": outcome("BILLING", "SELF_SERVICE", "NONE@09:30", outcome="contained", resolved=True),
    "c7": outcome("NONE", "CLOSED", "NONE@10:00", outcome="contained", resolved=True),
}
OBSERVED = {
    "calls": 7,
    "contained": 4.0,
    "resolved": 3.0,
    "containmentRate": 4 / 7,
    "resolutionRate": 3 / 7,
    "callsToPeople": 3.0,  # c3 (self-service handed over), c4, c5
    "agentMinutes": (300 + 600 + 240) / 60,
}


def test_replaying_unchanged_decisions_projects_exactly_what_was_observed() -> None:
    projection = project(list(MOVES.values()), OUTCOMES)
    document = projection.to_dict()
    assert document["observed"] == OBSERVED
    assert document["projected"] == OBSERVED
    assert document["fallbacks"] == [] and document["movedCalls"] == []
    assert document["callsWithoutOutcome"] == 0
    assert document["assumptions"][0].startswith("7 calls whose decision did not change")


def test_moved_calls_take_their_intent_on_the_new_route_and_flag_every_wider_basis() -> None:
    candidate = {
        **MOVES,
        "c1": moved(MOVES["c1"], "AGENT", "general"),  # ORDER_STATUS on AGENT and in general: both seen
        "c4": moved(MOVES["c4"], "SELF_SERVICE"),  # seen on the route; no queue: its intent's handle time
        "c5": moved(MOVES["c5"], "CALLBACK", "callback"),  # no call was ever decided CALLBACK
        "c7": moved(MOVES["c7"], "AGENT", "general"),  # no-intent calls never went to AGENT
    }
    document = project(list(candidate.values()), OUTCOMES).to_dict()
    assert document["observed"] == OBSERVED
    # c2, c3, c6 keep their own; c1: ORDER_STATUS on AGENT (c4) is 0 contained, 1 to a person, and
    # general's ORDER_STATUS calls averaged 450 s; c4: ORDER_STATUS on SELF_SERVICE (c1, c2, c3) is
    # 2/3 contained, 1/3 resolved, 1/3 to a person times ORDER_STATUS's 450 s; c5: CALLBACK's nominal
    # outcome (a person) times BILLING's 240 s; c7: every AGENT call (c4, c5) times general's 450 s.
    contained = 1 + 1 + 2 / 3
    resolved = 1 + 1 / 3
    assert document["projected"] == pytest.approx(
        {
            "calls": 7,
            "contained": contained,
            "resolved": resolved,
            "containmentRate": contained / 7,
            "resolutionRate": resolved / 7,
            "callsToPeople": 1 + 1 + 1 / 3 + 1 + 1,
            "agentMinutes": (300 + 450 + 450 / 3 + 240 + 450) / 60,
        }
    )
    fields = ("measure", "intent", "route", "queue", "basis", "calls")
    assert document["fallbacks"] == [
        dict(zip(fields, row, strict=True))
        for row in [
            ("handleTime", "BILLING", "CALLBACK", "callback", "intent", 1),
            ("handleTime", "NONE", "AGENT", "general", "queue", 1),
            ("handleTime", "ORDER_STATUS", "SELF_SERVICE", "NONE", "intent", 1),
            ("outcome", "BILLING", "CALLBACK", "callback", "routeDefault", 1),
            ("outcome", "NONE", "AGENT", "general", "route", 1),
        ]
    ]
    # By the half-hour each call started in, from the queue it entered to the new decision's
    assert document["movedCalls"] == [
        {"interval": "09:00", "fromQueue": "NONE", "toQueue": "general", "calls": 1},
        {"interval": "09:00", "fromQueue": "general", "toQueue": "NONE", "calls": 1},
        {"interval": "09:30", "fromQueue": "billing", "toQueue": "callback", "calls": 1},
        {"interval": "10:00", "fromQueue": "NONE", "toQueue": "general", "calls": 1},
    ]
    assert "(1 calls); where the route was never seen" in " ".join(document["assumptions"])


def test_a_call_without_an_outcome_is_counted_apart_and_no_handled_call_means_no_minutes() -> None:
    only_self_service = {"c1": OUTCOMES["c1"], "c2": OUTCOMES["c2"]}
    moves = [moved(MOVES["c1"], "AGENT", "general"), MOVES["c2"], move("c9", "BILLING", "AGENT", "billing")]
    projection = project(moves, only_self_service)
    document = projection.to_dict()
    assert document["callsWithoutOutcome"] == 1  # c9: its records not ingested yet
    assert document["observed"]["calls"] == document["projected"]["calls"] == 2
    # AGENT was never decided for these calls: a person, by the route's nominal outcome; no handled call
    # was seen anywhere, so its minutes are none (and say so)
    assert document["projected"]["callsToPeople"] == 1.0
    assert document["projected"]["agentMinutes"] == 0.0
    assert [(f["measure"], f["basis"]) for f in document["fallbacks"]] == [
        ("handleTime", "none"),
        ("outcome", "routeDefault"),
    ]
    assert any("no counted outcome" in sentence for sentence in document["assumptions"])


def test_the_table_shows_both_figures_the_fallbacks_and_the_assumptions() -> None:
    candidate = [moved(MOVES["c5"], "CALLBACK", "callback"), *(m for k, m in MOVES.items() if k != "c5")]
    text = projection_tables(project(candidate, OUTCOMES))
    lines = text.splitlines()
    assert lines[0].split() == ["KPI", "observed", "projected"]
    assert ["containment", "57.1%", "57.1%"] in [line.split() for line in lines]
    assert ["agent", "minutes", "19.0", "19.0"] in [line.split() for line in lines]  # 240 s for 240 s
    assert "routeDefault" in text and "What the projection assumes:" in text


def state(contribution: Any) -> dict[str, Any]:
    return to_dynamodb({**state_key("c1"), "contribution": json.dumps(contribution)})


def test_an_outcome_is_read_from_the_contribution_and_a_garbled_one_is_none() -> None:
    counters = {"contacts": 1, "transferred": 1, "handled": 1, "handleSeconds": 90, "recontacted": 1}
    keys = ["all|2025-03-04|all", "intent|2025-03-04|BILLING", "route|2025-03-04|AGENT"]
    keys += ["queue|2025-03-04|billing", "interval|2025-03-04|billing@09:30", "reason|2025-03-04|VIP"]
    read = outcome_of(state(packed(dict.fromkeys(keys, counters))))
    assert read == CallOutcome(
        "BILLING", "AGENT", "billing", "billing@09:30", "transferred", False, False, True, True, 90
    )
    assert read.to_person and read.half_hour == "09:30"
    assert outcome_of(state(dict.fromkeys(keys, counters))) == read  # a state written before packing
    for garbled in ("not json", {"all|2025-03-04|all": {"contacts": 1}}, {"nobars": {}}, [], [[1, 2]], 7):
        item = (
            state(garbled) if not isinstance(garbled, str) else {**state({}), "contribution": {"S": garbled}}
        )
        assert outcome_of(item) is None, garbled


class PartialDynamoDB:
    """A fake BatchGetItem (moto never answers with unprocessed keys): the first answer of each request
    leaves its last key unprocessed, as DynamoDB does under load."""

    def __init__(self, items: dict[str, dict[str, Any]], keep_failing: bool = False) -> None:
        self.items, self.keep_failing = items, keep_failing
        self.requests: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = RequestItems["metrics"]["Keys"]
        self.requests.append(len(keys))
        served, left = (keys[:-1], keys[-1:]) if self.keep_failing or len(self.requests) % 2 else (keys, [])
        found = [self.items[key["pk"]["S"]] for key in served if key["pk"]["S"] in self.items]
        return {
            "Responses": {"metrics": found},
            "UnprocessedKeys": {"metrics": {"Keys": left}} if left else {},
        }

    def scan(self, **request: Any) -> dict[str, Any]:  # the caller items (single-segment calls): none
        return {"Items": []}


def test_read_outcomes_pages_by_100_and_asks_again_for_unprocessed_keys() -> None:
    contribution = {"all|d|all": {"contacts": 1, "contained": 1}, "intent|d|X": {}, "route|d|CLOSED": {}}
    contribution |= {"queue|d|NONE": {}}
    ids = [f"call-{n}" for n in range(150)]
    items = {
        f"CALL#{i}": {**to_dynamodb(state_key(i)), "contribution": {"S": json.dumps(contribution)}}
        for i in ids
    }
    fake = PartialDynamoDB({key: item for key, item in items.items() if key != "CALL#call-7"})
    found = read_outcomes(fake, "metrics", [*ids, "call-0"], pause=lambda _: None)
    assert fake.requests == [100, 1, 50, 1]  # two pages, each with its unprocessed key asked again
    assert set(found) == set(ids) - {"call-7"}  # no state: absent, not guessed
    assert found["call-0"].contained and found["call-0"].interval is None
    with pytest.raises(OutcomesIncomplete, match="1 call states unread after 5 tries"):
        read_outcomes(PartialDynamoDB(items, keep_failing=True), "metrics", ids[:3], pause=lambda _: None)
