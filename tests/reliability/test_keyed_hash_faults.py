"""escalation and Secrets Manager (the keyed-hash secret): each fault, the promised callback goes ahead.

The fault matrix's faults (tests/reliability/test_fault_matrix.py), injected on GetSecretValue for
real in botocore's send path. The secret is read in the container's init phase, so each case cold
starts escalation under the fault and then:

- offers a callback (a queue at capacity): OK, `offerCallback` true, `dedupeUnavailable` true with
  the reason, the handoff recorded (with the reason) within its budget; one WARNING naming the error
  type; `CallbackDedupeUnavailable` counted with a `reason` dimension;
- takes it (`claimCallback`): the flow is never told "already pending", so it books the callback;
  DEGRADED `DEDUPE_UNAVAILABLE`, nothing claimed, within the budget.

Budgets: a warm call must answer within escalation's budget (plus the matrix's margin for the
sandbox); a cold one may also spend the init phase's share, HASH_KEY_INIT_BUDGET_MS, which in
Lambda runs before the invocation. A slow Secrets Manager whose answer comes after all (the
"slow" fault lets moto answer late) leaves the key for later calls, so the claim may then be
checked as usual; either way the callback goes ahead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.escalation import deps as escalation
from lambdas.shared import budget
from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault
from tests.conftest import assert_flow_contract
from tests.integration.test_escalation_handler import MONDAY_10_NY, cancellation, taking_it
from tests.reliability.test_fault_matrix import FAULTS, MARGIN_SECONDS, SLOW_SECONDS

BUDGET_SECONDS = 1.5  # escalation's default budget (ESCALATION_BUDGET_MS)
INIT_SECONDS = escalation.HASH_KEY_INIT_BUDGET_MS / 1000
REASONS = {
    "throttling": "THROTTLED",
    "access-denied": "ACCESS_DENIED",
    "5xx": "SERVICE_ERROR",
    "slow": "TIMEOUT",
    "malformed": "BAD_REPLY",
}
FIRST_CONTACT = "11111111-2222-4333-8444-555555555555"
OTHER_CONTACT = "33333333-2222-4333-8444-555555555555"
THIRD_CONTACT = "44444444-2222-4333-8444-555555555555"


def secrets_fault(kind: str) -> Fault:
    return FAULTS[kind]("secrets-manager", "GetSecretValue")


@pytest.fixture
def escalation_box() -> Iterator[Sandbox]:
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        yield box
        # A read cut at its budget is still being answered: let moto answer it before the mock
        # goes, so it can never leave for a real endpoint.
        budget.settle(timeout=2 * SLOW_SECONDS)


def timed(box: Sandbox, event: dict[str, Any]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    response = box.invoke("escalation", event)
    elapsed = time.perf_counter() - started
    assert_flow_contract(response)
    return response, elapsed


def complaints(box: Sandbox) -> list[dict[str, Any]]:
    return [line for line in box.last.log_lines if line.get("level") in ("WARNING", "ERROR")]


def dedupe_reasons(box: Sandbox) -> list[str]:
    """The `reason` of every CallbackDedupeUnavailable the last invocation emitted."""
    found = []
    for document in box.last.metrics:
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            names = {m["Name"] for m in directive.get("Metrics", [])}
            if "CallbackDedupeUnavailable" in names and ["reason"] in [
                [d for d in dims if d == "reason"] for dims in directive.get("Dimensions", [])
            ]:
                found.append(str(document["reason"]))
    return found


def items(box: Sandbox) -> dict[str, dict[str, Any]]:
    scanned = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    return {item["sk"]["S"]: item for item in scanned}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_without_the_key_the_callback_is_offered_and_taken_marked_in_budget(
    escalation_box: Sandbox, fault: str
) -> None:
    box = escalation_box
    offer_event = cancellation(box)  # built before the fault (it calls crm_lookup)
    box.cold_start("escalation")  # the init phase's read happens under the fault
    reason = REASONS[fault]
    with box.fault(secrets_fault(fault)):
        offer, elapsed = timed(box, offer_event)
        # Then the callback is offered, unchecked and marked, and the handoff is recorded
        assert (offer["status"], offer["offerCallback"], offer["handoffRecorded"]) == ("OK", "true", "true")
        assert (offer["dedupeUnavailable"], offer["dedupeReason"]) == ("true", reason)
        assert offer["queue"] and offer["queueArn"] and offer["callbackQueueArn"]
        assert elapsed < INIT_SECONDS + BUDGET_SECONDS + MARGIN_SECONDS, elapsed
        (warning,) = complaints(box)
        assert warning["problem"] == reason and warning["error_type"], warning
        assert dedupe_reasons(box) == [reason]
        handoff = items(box)[f"HANDOFF#{FIRST_CONTACT}"]
        assert handoff["dedupeUnavailable"] == {"S": reason} and handoff["callbackOffered"] == {"BOOL": True}

        # When the caller takes it, the key still unread (within the retry pause)
        taken, elapsed = timed(box, taking_it(offer_event))
    # Then the flow books the callback: never "already pending"
    assert taken["callbackPending"] == "false"
    assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, elapsed
    if fault != "slow":  # a slow read may have answered late by now: then the claim is checked
        assert (taken["status"], taken["degradedReason"], taken["callbackClaimed"]) == (
            "DEGRADED",
            "DEDUPE_UNAVAILABLE",
            "false",
        )
        assert (taken["dedupeUnavailable"], taken["dedupeReason"]) == ("true", reason)
        assert len(complaints(box)) == 1 and dedupe_reasons(box) == [reason]
        assert "CALLBACK_CLAIM" not in items(box)


def test_a_warm_retry_spends_only_its_share_and_a_recovered_key_deduplicates_again(
    escalation_box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = escalation_box
    monkeypatch.setattr(escalation, "HASH_KEY_RETRY_SECONDS", 0)  # every call that needs it retries
    first, second, third = (cancellation(box, c) for c in (FIRST_CONTACT, OTHER_CONTACT, THIRD_CONTACT))
    box.cold_start("escalation")
    with box.fault(secrets_fault("access-denied")):
        assert timed(box, first)[0]["dedupeReason"] == "ACCESS_DENIED"
    # When Secrets Manager is slow instead, the warm container reads again, within its share
    injected = box.faults.injected
    with box.fault(secrets_fault("slow")):
        offer, elapsed = timed(box, second)
    assert box.faults.injected == injected + 1  # the retry was sent (and is still being answered)
    assert (offer["offerCallback"], offer["handoffRecorded"], offer["dedupeReason"]) == (
        "true",
        "true",
        "TIMEOUT",
    )
    assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, elapsed
    # When it answers again / Then the key is read and claims are checked as before the fault
    offer = timed(box, third)[0]
    assert (offer["offerCallback"], offer["dedupeUnavailable"]) == ("true", "false")
    assert timed(box, taking_it(third))[0]["callbackClaimed"] == "true"
    again = timed(box, first)[0]
    assert (again["offerCallback"], again["callbackPending"], again["dedupeUnavailable"]) == (
        "false",
        "true",
        "false",
    )
    # And once read, the key costs no call: the warm handoff makes only its writes
    assert not [call for call in box.last.aws_calls if call.startswith("secrets-manager.")]


def test_the_secret_read_fits_its_shares_of_the_budget() -> None:
    """One attempt of the Secrets Manager client fits the init share; a call's share leaves most of
    escalation's budget to the write (the slow cases above show the cut)."""
    limits = escalation.SECRETS_LIMITS
    assert limits.max_attempts == 1  # a failure is retried by a later call, after the pause
    assert limits.connect_timeout + limits.read_timeout <= escalation.HASH_KEY_INIT_BUDGET_MS / 1000
    assert escalation.HASH_KEY_BUDGET_MS <= BUDGET_SECONDS * 1000 / 4
