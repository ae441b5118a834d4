"""escalation's real handler on moto through the sandbox: queue, priority, callback, whisper, record.

GetCurrentMetricData is answered by the sandbox's fake (moto has no Connect metrics); DynamoDB
and SSM are moto. Expectations come from the shipped policy (defaults/escalation.json): base
priority 5, VIP -3, gold -1, repeat caller -1, frustrated -1, complaint -1, low CSAT -1, bounded
to 1..9; callback when the decision says so, when closed, when the wait is >= 600 s, or when
closing is <= 20 minutes away; wait = max(oldest age, (waiting + 1) x 300 s / staffed agents).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tandem.local import Sandbox
from tandem.local.faults import Fault
from tests.conftest import assert_flow_contract, load_event

MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MONDAY_17_50_NY = datetime(2026, 11, 23, 22, 50, tzinfo=UTC)
MONDAY_22_NY = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
QUIET = {"agentsAvailable": "3", "agentsStaffed": "5", "contactsInQueue": "0", "oldestContactAgeSeconds": "0"}
PEAK = {
    "agentsAvailable": "0",
    "agentsStaffed": "10",
    "contactsInQueue": "25",
    "oldestContactAgeSeconds": "400",
}
FULL = {
    "agentsAvailable": "0",
    "agentsStaffed": "4",
    "contactsInQueue": "30",
    "oldestContactAgeSeconds": "900",
}


def handoff_event(
    box: Sandbox, caller: str, contact: str = "11111111-2222-4333-8444-555555555555", **params: str
) -> dict[str, Any]:
    """What the flow passes: crm_lookup's answer as attributes, the decision and metrics as parameters."""
    event = load_event("voice_known_gold.json")
    data = event["Details"]["ContactData"]
    data["ContactId"] = data["InitialContactId"] = contact
    data["CustomerEndpoint"]["Address"] = caller
    event["Details"]["Parameters"] = {}
    found = box.invoke("crm_lookup", event)
    data["Attributes"] = {k: v for k, v in found.items() if k != "status"}
    event["Details"]["Parameters"] = dict(params)
    return event


INIT_READS = ("ssm.GetParametersByPath", "secrets-manager.GetSecretValue")


def without_store_read(calls: list[str]) -> list[str]:
    """A fresh container reads the policy store and the keyed-hash secret first (in Lambda, during
    init); the rest is the handoff."""
    return [call for call in calls if call not in INIT_READS]


def interaction_items(box: Sandbox) -> list[dict[str, Any]]:
    return box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]  # type: ignore[no-any-return]


def test_vip_complaint_at_peak_goes_first_to_the_priority_queue_with_a_callback_offer(box: Sandbox) -> None:
    # Given Chloé (VIP, one open complaint, one contact in 72 h, order 1044 delayed), angry, at peak
    event = handoff_event(
        box,
        "+12025550103",
        route="AGENT",
        reasons="VIP_CUSTOMER,COMPLAINT,NEGATIVE_SENTIMENT",
        queue="priority",
        intent="COMPLAINT",
        sentiment="NEGATIVE",
        failedAttempts="1",
        **PEAK,
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    assert_flow_contract(response)
    # Then the priority queue, priority 5-3-1-1 → bounded at 1, and a wait of 26 x 300 / 10 = 780 s
    assert (response["queue"], response["queueReason"], response["priority"]) == (
        "priority",
        "VIP_CUSTOMER",
        "1",
    )
    assert response["priorityReasons"] == "VIP_CUSTOMER,FRUSTRATED,COMPLAINT"
    assert response["queueArn"] == box.queue_arns["priority"]
    assert (response["estimatedWaitSeconds"], response["estimatedWaitMinutes"], response["waitSource"]) == (
        "780",
        "13",
        "flow",
    )
    assert (response["offerCallback"], response["callbackReason"]) == ("true", "LONG_WAIT")
    assert response["callbackQueueArn"] == box.queue_arns["callback"]
    # And the agent hears who, why and what happened before
    assert response["whisper"] == (
        "VIP customer Chloé, second contact in 72 h, order 1044 delayed. VIP; complaint; upset. "
        "Self-service tried 1 time. Open complaints: 1."
    )
    # And with the metrics passed by the flow, the one AWS call is the write
    assert box.last.aws_calls[-1:] == ["dynamodb.TransactWriteItems"]
    assert "connect.GetCurrentMetricData" not in box.last.aws_calls


def test_standard_caller_at_a_quiet_time_goes_to_general_at_the_default_priority(box: Sandbox) -> None:
    event = handoff_event(
        box,
        "+12025550102",
        route="AGENT",
        reasons="ASKED_FOR_AGENT",
        intent="ORDER_STATUS",
        asksForAgent="true",
        **QUIET,
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    assert (response["queue"], response["queueReason"], response["priority"]) == (
        "general",
        "DEFAULT_QUEUE",
        "5",
    )
    assert (response["offerCallback"], response["estimatedWaitSeconds"]) == ("false", "0")
    assert response["whisper"] == "Customer Ben, order 1043 processing. Asked for a person."
    assert without_store_read(box.last.aws_calls) == ["dynamodb.PutItem"]


def test_third_call_today_is_raised_and_the_agent_is_told(box: Sandbox) -> None:
    # Given Ana (gold), who called 20 h and 5 h ago
    event = handoff_event(
        box,
        "+12025550101",
        route="AGENT",
        reasons="REPEAT_CALLER",
        queue="general",
        intent="ORDER_STATUS",
        **QUIET,
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    # Then 5 - 1 (gold) - 1 (repeat) = 3, and the whisper says it is the third contact
    assert (response["queue"], response["priority"], response["priorityReasons"]) == (
        "general",
        "3",
        "GOLD_CUSTOMER,REPEAT_CALLER",
    )
    assert response["whisper"].startswith("Gold customer Ana, third contact in 72 h, order 1042 shipped.")
    assert "Repeat caller." in response["whisper"]


def test_after_hours_the_decisions_callback_is_offered(box: Sandbox) -> None:
    event = handoff_event(
        box,
        "+12025550102",
        route="CALLBACK",
        reasons="AFTER_HOURS_CALLBACK",
        queue="callback",
        intent="BILLING_DISPUTE",
        **QUIET,
    )
    with box.clock(MONDAY_22_NY):
        response = box.invoke("escalation", event)
    assert (response["offerCallback"], response["callbackReason"], response["callbackQueue"]) == (
        "true",
        "DECISION",
        "callback",
    )
    assert response["queue"] == "billing"  # who handles it when the callback is made


def test_after_hours_without_a_callback_decision_is_still_a_callback_when_possible(box: Sandbox) -> None:
    event = handoff_event(box, "+12025550102", route="AGENT", reasons="ASKED_FOR_AGENT", **QUIET)
    with box.clock(MONDAY_22_NY):
        response = box.invoke("escalation", event)
    assert (response["offerCallback"], response["callbackReason"]) == ("true", "CLOSED")


def test_a_withheld_number_is_never_offered_a_callback(box: Sandbox) -> None:
    event = handoff_event(box, "anonymous", route="CALLBACK", reasons="AFTER_HOURS_CALLBACK", **FULL)
    with box.clock(MONDAY_22_NY):
        response = box.invoke("escalation", event)
    assert (response["offerCallback"], response["callbackPossible"], response["callbackQueueArn"]) == (
        "false",
        "false",
        "",
    )
    assert response["whisper"].startswith("Unidentified caller.")
    assert without_store_read(box.last.aws_calls) == ["dynamodb.PutItem"]  # no claim without a number


def test_a_queue_at_capacity_offers_a_callback(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="CANCELLATION", intent="CANCEL_ORDER", **FULL
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    # 31 x 300 / 4 = 2325 s > the 900 s oldest contact
    assert (response["estimatedWaitSeconds"], response["offerCallback"], response["callbackReason"]) == (
        "2325",
        "true",
        "LONG_WAIT",
    )


def test_close_to_closing_time_a_callback_is_offered_even_with_a_short_queue(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="CANCELLATION", intent="CANCEL_ORDER", **QUIET
    )
    with box.clock(MONDAY_17_50_NY):  # 10 minutes before 18:00
        response = box.invoke("escalation", event)
    assert (response["offerCallback"], response["callbackReason"]) == ("true", "CLOSING_SOON")


def test_metrics_missing_are_read_from_connect_once_then_cached(box: Sandbox) -> None:
    # Given the flow passed no queue metrics, and Connect (faked) shows a long billing queue
    box.queue_metrics(
        "billing", agents_available=0, agents_staffed=2, contacts_in_queue=9, oldest_contact_age_seconds=700
    )
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="BILLING_DISPUTE", intent="BILLING_DISPUTE"
    )
    with box.clock(MONDAY_10_NY):
        first = box.invoke("escalation", event)
        first_calls = box.last.aws_calls
        second = box.invoke(
            "escalation",
            handoff_event(
                box,
                "+12025550105",
                contact="22222222-2222-4333-8444-555555555555",
                route="AGENT",
                reasons="BILLING_DISPUTE",
                intent="BILLING_DISPUTE",
            ),
        )
    # Then one GetCurrentMetricData call: (9 + 1) x 300 / 2 = 1500 s, a callback
    assert "connect.GetCurrentMetricData" in first_calls
    assert (first["waitSource"], first["estimatedWaitSeconds"], first["offerCallback"]) == (
        "connect",
        "1500",
        "true",
    )
    # And the next handoff within the cache's 5 s reuses the snapshot
    assert "connect.GetCurrentMetricData" not in box.last.aws_calls
    assert second["waitSource"] == "cache"


def test_connect_throttling_costs_the_caller_nothing(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="BILLING_DISPUTE", intent="BILLING_DISPUTE"
    )
    throttled = Fault("connect", "GetCurrentMetricData", error_code="ThrottlingException", status=400)
    with box.fault(throttled), box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    assert response["status"] == "OK"
    assert (response["queue"], response["waitSource"], response["estimatedWaitSeconds"]) == (
        "billing",
        "none",
        "",
    )
    assert response["offerCallback"] == "false"
    assert any(line.get("problem") == "THROTTLED" for line in box.last.log_lines)
    assert any("QueueMetricsUnavailable" in json.dumps(m) for m in box.last.metrics)


def cancellation(box: Sandbox, contact: str = "11111111-2222-4333-8444-555555555555") -> dict[str, Any]:
    """A cancellation at peak from Dmitri: escalation offers a callback."""
    return handoff_event(
        box,
        "+12025550104",
        contact=contact,
        route="AGENT",
        reasons="CANCELLATION",
        intent="CANCEL_ORDER",
        **FULL,
    )


def taking_it(event: dict[str, Any]) -> dict[str, Any]:
    """The flow's second call when the caller presses 1 for the callback."""
    claim = json.loads(json.dumps(event))
    claim["Details"]["Parameters"] = {"step": "claim-callback", "operation": "claimCallback"}
    return claim


def item_keys(box: Sandbox) -> list[str]:
    return sorted(i["sk"]["S"] for i in interaction_items(box))


OTHER_CONTACT = "33333333-2222-4333-8444-555555555555"


def test_a_retried_block_records_once_and_claims_nothing_until_the_caller_takes_the_callback(
    box: Sandbox,
) -> None:
    event = cancellation(box)
    with box.clock(MONDAY_10_NY):
        first = box.invoke("escalation", event)
        # When Connect retries the block (same contact), twice
        retries = [box.invoke("escalation", event) for _ in range(2)]
    # Then every answer offers the callback; one handoff is stored, and no claim: nobody took it yet
    assert [r["offerCallback"] for r in [first, *retries]] == ["true", "true", "true"]
    assert without_store_read(box.last.aws_calls) == ["dynamodb.TransactWriteItems"]  # still one write
    assert item_keys(box) == ["HANDOFF#11111111-2222-4333-8444-555555555555"]
    # When the caller takes it, and Connect retries that block too
    with box.clock(MONDAY_10_NY):
        claims = [box.invoke("escalation", taking_it(event)) for _ in range(2)]
    # Then the number is claimed once, by this contact, and every answer says so
    assert [(c["status"], c["callbackClaimed"], c["callbackPending"]) for c in claims] == [
        ("OK", "true", "false")
    ] * 2
    assert without_store_read(box.last.aws_calls) == ["dynamodb.PutItem"]
    assert item_keys(box) == ["CALLBACK_CLAIM", "HANDOFF#11111111-2222-4333-8444-555555555555"]


def test_a_declined_offer_leaves_nothing_behind_and_the_next_call_is_offered_again(box: Sandbox) -> None:
    with box.clock(MONDAY_10_NY):
        assert box.invoke("escalation", cancellation(box))["offerCallback"] == "true"
        # The caller holds instead; they call again ten minutes later
    with box.clock(MONDAY_10_NY + timedelta(minutes=10)):
        again = box.invoke("escalation", cancellation(box, OTHER_CONTACT))
    assert (again["offerCallback"], again["callbackPending"]) == ("true", "false")


def test_a_callback_taken_blocks_a_second_one_until_the_window_ends(box: Sandbox) -> None:
    first, other = cancellation(box), cancellation(box, OTHER_CONTACT)
    with box.clock(MONDAY_10_NY):
        assert box.invoke("escalation", first)["offerCallback"] == "true"
        assert box.invoke("escalation", taking_it(first))["callbackClaimed"] == "true"
        again = box.invoke("escalation", other)
    # Then the second contact is told a callback is already pending, and its handoff is still recorded
    assert (again["offerCallback"], again["callbackPending"], again["handoffRecorded"]) == (
        "false",
        "true",
        "true",
    )
    assert len([k for k in item_keys(box) if k.startswith("HANDOFF#")]) == 2
    # When the 120-minute window has passed, Then a callback can be offered and taken again
    with box.clock(MONDAY_10_NY + timedelta(minutes=121)):
        later = box.invoke("escalation", other)
        taken = box.invoke("escalation", taking_it(other))
    assert (later["offerCallback"], later["callbackPending"]) == ("true", "false")
    assert taken["callbackClaimed"] == "true"


def test_two_calls_racing_for_the_same_number_get_one_callback(box: Sandbox) -> None:
    first, other = cancellation(box), cancellation(box, OTHER_CONTACT)
    with box.clock(MONDAY_10_NY):
        # Both are offered (neither has taken it yet), then both press 1
        assert [box.invoke("escalation", e)["offerCallback"] for e in (first, other)] == ["true", "true"]
        won, lost = box.invoke("escalation", taking_it(first)), box.invoke("escalation", taking_it(other))
    assert (won["callbackClaimed"], won["callbackPending"]) == ("true", "false")
    assert (lost["status"], lost["callbackClaimed"], lost["callbackPending"]) == ("OK", "false", "true")
    assert any("CallbacksDeduplicated" in json.dumps(m) for m in box.last.metrics)


def test_a_claim_that_cannot_be_written_lets_the_promised_callback_go_ahead(box: Sandbox) -> None:
    event = cancellation(box)
    with box.clock(MONDAY_10_NY), box.fault(Fault("dynamodb", "PutItem")):
        answer = box.invoke("escalation", taking_it(event))
    # Then the flow is not told "already pending": it creates the callback it offered
    assert (answer["status"], answer["callbackClaimed"], answer["callbackPending"]) == (
        "DEGRADED",
        "false",
        "false",
    )
    assert any("CallbackClaimFailures" in json.dumps(m) for m in box.last.metrics)


def test_a_withheld_number_claims_nothing(box: Sandbox) -> None:
    event = taking_it(cancellation(box))
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = "anonymous"
    with box.clock(MONDAY_10_NY):
        answer = box.invoke("escalation", event)
    assert (answer["status"], answer["callbackClaimed"], answer["callbackPending"]) == (
        "OK",
        "false",
        "false",
    )
    assert item_keys(box) == []


def test_nothing_stored_or_logged_carries_the_number_or_the_name(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="CANCELLATION", intent="CANCEL_ORDER", **FULL
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    written = json.dumps(interaction_items(box)) + json.dumps(box.last.log_lines)
    for personal in ("2025550104", "5550104", "Dmitri", "Ivanov", "C1004"):
        assert personal not in written
    assert "2025550104" not in response["whisper"]


def test_interactions_table_down_offers_no_callback_it_cannot_deduplicate(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550104", route="AGENT", reasons="CANCELLATION", intent="CANCEL_ORDER", **FULL
    )
    with box.fault(Fault("dynamodb", "TransactWriteItems")), box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    assert (response["status"], response["handoffRecorded"], response["offerCallback"]) == (
        "OK",
        "false",
        "false",
    )
    assert response["queue"] == "general"
    # And the failed write really did not land (the fault stops moto, not just the client)
    assert interaction_items(box) == []


@pytest.mark.parametrize("raw", [None, {"Details": {}}, []])
def test_a_malformed_event_still_reaches_a_person(box: Sandbox, raw: Any) -> None:
    response = box.invoke("escalation", raw)
    assert_flow_contract(response)
    assert (response["status"], response["queue"], response["priority"]) == ("INVALID_INPUT", "general", "5")
    assert response["queueArn"] == box.queue_arns["general"]


def test_malformed_signals_are_named_and_defaulted(box: Sandbox) -> None:
    event = handoff_event(
        box,
        "+12025550102",
        route="SIDEWAYS",
        reasons="ok,BAD code",
        failedAttempts="many",
        lastCsat="11",
        **QUIET,
    )
    with box.clock(MONDAY_10_NY):
        response = box.invoke("escalation", event)
    assert response["status"] == "OK"
    assert set(response["signalProblems"].split(",")) == {"route", "reasons", "failedAttempts", "lastCsat"}


def test_demo_cli_hands_every_person_routed_caller_to_escalation(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    assert main(["demo", "--handlers", "--format", "json"]) == 0
    decisions = json.loads(capsys.readouterr().out)["decisions"]
    handoffs = {d["scenario"]: d["handoff"] for d in decisions if d["handoff"] is not None}
    # Every AGENT or CALLBACK decision was escalated, nothing else
    assert set(handoffs) == {
        d["scenario"] for d in decisions if d["response"]["route"] in ("AGENT", "CALLBACK")
    }
    vip = handoffs["VIP complaint, angry"]
    assert (vip["queue"], vip["priority"]) == ("priority", "1")
    assert vip["whisper"].startswith("VIP customer Chloé")
    billing = handoffs["billing dispute, long queue"]
    assert (billing["queue"], billing["offerCallback"], billing["callbackReason"]) == (
        "billing",
        "true",
        "DECISION",
    )


def test_each_escalation_reason_is_counted_by_reason_for_the_dashboard(box: Sandbox) -> None:
    event = handoff_event(
        box, "+12025550103", route="AGENT", reasons="VIP_CUSTOMER,COMPLAINT", intent="COMPLAINT", **FULL
    )
    with box.clock(MONDAY_10_NY):
        box.invoke("escalation", event)
    counted = {
        m["reason"]
        for m in box.last.metrics
        if "reason" in m and "EscalationReasons" in json.dumps(m.get("_aws", {}))
    }
    assert counted == {"VIP_CUSTOMER", "COMPLAINT"}


def test_the_claim_is_keyed_by_the_keyed_hash_of_the_number_not_a_plain_hash(box: Sandbox) -> None:
    from hashlib import sha256

    from lambdas.shared.keyed_hash import CALLBACK, KeyedHasher
    from tandem.local.provision import SANDBOX_ONLY_KEYED_HASH_SECRET

    event = cancellation(box)
    with box.clock(MONDAY_10_NY):
        box.invoke("escalation", event)
        assert box.invoke("escalation", taking_it(event))["callbackClaimed"] == "true"
    (claim,) = [i for i in interaction_items(box) if i["sk"]["S"] == "CALLBACK_CLAIM"]
    # Then its key is HMAC-SHA256 under the callback purpose's key, from the sandbox's secret
    keyed = KeyedHasher.from_secret_string(SANDBOX_ONLY_KEYED_HASH_SECRET).digest(CALLBACK, "+12025550104")
    assert claim["pk"]["S"] == f"CALLBACK#{keyed}"
    # And not the old unkeyed hash anyone could recompute from the number alone
    assert sha256(b"tandem-callback|+12025550104").hexdigest() not in json.dumps(interaction_items(box))
