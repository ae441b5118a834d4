"""Call outcomes read from the states the real ctr_ingest writes in the sandbox, and projected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lambdas.shared.kpi import CONTAINMENT_RATE, RESOLUTION_RATE
from tandem.local import Sandbox
from tandem.replay.model import CallMove
from tandem.replay.outcomes import CallOutcome, read_outcomes
from tandem.replay.projection import project
from tests.integration.test_ctr_recontacts import all_counters, contact, contact_id, ingest

X, Y, Z = "+12025550101", "+12025550102", "+12025550103"
ORDER_STATUS = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
BILLING_AGENT = {"tandemOutcome": "QUEUED", "route": "AGENT", "intent": "BILLING", "queue": "billing"}


def agent_call(n: int, caller: str, start: str, handle: tuple[int, int, int]) -> dict[str, object]:
    """A BILLING call answered by an agent: interaction, hold and after-contact work in seconds."""
    record = contact(n, caller, start, attributes=BILLING_AGENT)
    record["Queue"] = {
        "Name": "Billing",
        "EnqueueTimestamp": start,
        "DequeueTimestamp": start,
        "Duration": 5,
    }
    record["Agent"] = {
        "ConnectedToAgentTimestamp": start,
        "AgentInteractionDuration": handle[0],
        "CustomerHoldDuration": handle[1],
        "AfterContactWorkDuration": handle[2],
    }
    return record


def decided(n: int, intent: str, route: str, queue: str | None = None) -> CallMove:
    moment = datetime(2025, 3, 4, 14, tzinfo=UTC)  # fixed: the projection never reads the clock
    return CallMove(contact_id(n), moment, intent, route, route, "r", "r", queue, queue)


def test_outcomes_are_what_ctr_ingest_counted_and_an_unchanged_replay_projects_them(box: Sandbox) -> None:
    # Given four calls through the real ctr_ingest: X self-served at 09:00 New York time and rang back
    # (self-served again) the next day; Y self-served; Z reached a billing agent at 09:40
    ingest(
        box,
        contact(1, X, "2025-03-04T14:00:00Z", attributes=ORDER_STATUS),
        contact(2, X, "2025-03-05T13:00:00Z", attributes=ORDER_STATUS),
        contact(3, Y, "2025-03-04T14:10:00Z", attributes=ORDER_STATUS),
        agent_call(4, Z, "2025-03-04T14:40:00Z", (200, 10, 30)),
    )
    ids = [contact_id(n) for n in (1, 2, 3, 4, 5)]  # 5 was never ingested
    outcomes = read_outcomes(box.client("dynamodb"), box.table_names["METRICS_TABLE"], ids)

    # Then each call reads back as ctr_ingest counted it, and the call with no records has no outcome
    assert set(outcomes) == set(ids[:4])
    assert outcomes[contact_id(1)] == CallOutcome(
        "ORDER_STATUS", "SELF_SERVICE", "NONE", "NONE@09:00", "contained", True, False, True, False, 0
    )  # contained, recontacted by call 2: not resolved
    assert outcomes[contact_id(3)].resolved
    assert outcomes[contact_id(4)] == CallOutcome(
        "BILLING", "AGENT", "billing", "billing@09:30", "transferred", False, False, False, True, 240
    )

    # And a replay that changes nothing projects what was observed, and observed is the report's figures
    moves = [decided(n, "ORDER_STATUS", "SELF_SERVICE") for n in (1, 2, 3)]
    moves += [decided(4, "BILLING", "AGENT", "billing"), decided(5, "BILLING", "AGENT", "billing")]
    document = project(moves, outcomes).to_dict()
    assert document["projected"] == document["observed"]
    counters = all_counters(box)
    day_one, day_two = counters[("all", "2025-03-04", "all")], counters[("all", "2025-03-05", "all")]
    both = {name: day_one.get(name, 0) + day_two.get(name, 0) for name in {*day_one, *day_two}}
    assert document["observed"]["calls"] == both["contacts"] == 4
    assert document["observed"]["containmentRate"] == CONTAINMENT_RATE.of(both) == 0.75
    assert document["observed"]["resolutionRate"] == RESOLUTION_RATE.of(both) == 0.5
    assert document["observed"]["agentMinutes"] == both["handleSeconds"] / 60 == 4.0
    assert document["observed"]["callsToPeople"] == 1
    assert document["callsWithoutOutcome"] == 1

    # When the billing call is moved to self-service, where BILLING was never decided
    moves[3] = CallMove(
        contact_id(4), moves[3].decided_at, "BILLING", "AGENT", "SELF_SERVICE", "r", "s", "billing", None
    )
    document = project(moves, outcomes).to_dict()
    # Then it takes every self-service call's figures (3 contained, 2 resolved of 3), flagged
    assert document["projected"]["containmentRate"] == 1.0
    assert document["projected"]["resolutionRate"] == pytest.approx((2 + 2 / 3) / 4)
    assert (document["projected"]["callsToPeople"], document["projected"]["agentMinutes"]) == (0.0, 0.0)
    assert document["fallbacks"] == [
        {
            "measure": "outcome",
            "intent": "BILLING",
            "route": "SELF_SERVICE",
            "queue": "NONE",
            "basis": "route",
            "calls": 1,
        }
    ]
    assert document["movedCalls"] == [
        {"interval": "09:30", "fromQueue": "billing", "toQueue": "NONE", "calls": 1}
    ]
