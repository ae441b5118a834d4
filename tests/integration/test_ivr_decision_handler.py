"""ivr_decision's real handler on moto through the sandbox: store, decision, interaction record.

SSM and DynamoDB are moto; failures are real botocore errors injected by the sandbox's fault hook.
Decisions are made "as of" a fixed moment (`box.clock`) so opening hours do not depend on when
the suite runs: 2026-11-23 15:00 UTC is Monday 10:00 in New York.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.documents.registry import DEFAULTS_DIR, parse_text
from tandem.local import Sandbox
from tandem.local.faults import Fault
from tandem.local.sandbox import handler_module
from tandem.rules_store import SANDBOX_CONFIG_PATH, push_document
from tests.conftest import assert_flow_contract, load_event, shared_fixture

SHIPPED_REVISION = json.loads((DEFAULTS_DIR / "rules.json").read_text(encoding="utf-8"))["revision"]
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SUNDAY_NIGHT_NY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Sunday 22:00 in New York
CHRISTMAS_NY = datetime(2026, 12, 25, 16, 0, tzinfo=UTC)


def flow_event(base: str, **parameters: str) -> dict[str, Any]:
    event = load_event(base)
    event["Details"]["Parameters"] = dict(parameters)
    return event


def lookup_then_decide(box: Sandbox, base: str, caller: str = "", **parameters: str) -> dict[str, str]:
    """What the flow does: crm_lookup, keep its answer as contact attributes, then ivr_decision."""
    lookup = load_event(base)
    if caller:
        lookup["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = caller
        lookup["Details"]["Parameters"] = {}
    found = box.invoke("crm_lookup", lookup)
    event = flow_event(base, **parameters)
    event["Details"]["ContactData"]["CustomerEndpoint"] = lookup["Details"]["ContactData"]["CustomerEndpoint"]
    event["Details"]["ContactData"]["Attributes"] = {k: v for k, v in found.items() if k != "status"}
    return box.invoke("ivr_decision", event)


def rules_document(**changes: Any) -> dict[str, Any]:
    document = json.loads((DEFAULTS_DIR / "rules.json").read_text(encoding="utf-8"))
    document.update(changes)
    return document


def push(box: Sandbox, document: dict[str, Any]) -> None:
    """Write straight to SSM in the store layout, as `tandem rules push` does (without validating)."""
    from lambdas.documents.registry import Parsed
    from lambdas.documents.storage_format import compact_json, sha256_of

    text = compact_json(document)
    push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, Parsed("rules", "x", None, text, sha256_of(text)))  # type: ignore[arg-type]


def test_known_caller_asking_for_order_status_is_answered_by_the_machine(box: Sandbox) -> None:
    # Given the gold demo customer Elena, whose order 1046 has shipped, on a Monday morning
    with box.clock(MONDAY_10_NY):
        # When she says "where is my order" with high confidence
        response = lookup_then_decide(
            box,
            "voice_known_gold.json",
            caller="+12025550105",
            intent="CheckOrderStatus",
            intentConfidence="0.93",
            failedAttempts="0",
        )
    # Then the machine answers with the order's status from the CRM
    assert_flow_contract(response)
    assert response["status"] == "OK"
    assert response["route"] == "SELF_SERVICE"
    assert response["ruleId"] == "routine-self-service"
    # Who decided: the rules in force (the champion), no experiment running
    assert (response["variant"], response["experimentId"]) == ("champion", "")
    assert "1046" in response["answer"]
    assert "has shipped" in response["answer"]
    assert response["rulesSource"] == "store"
    assert response["interactionRecorded"] == "true"


def test_a_third_call_in_a_day_goes_to_a_person_even_for_a_routine_question(box: Sandbox) -> None:
    # Given Ana, who called 20 h and 5 h ago about order 1042
    with box.clock(MONDAY_10_NY):
        response = lookup_then_decide(
            box, "voice_known_gold.json", intent="CheckOrderStatus", intentConfidence="0.93"
        )
    # Then the machine has not solved it: a person, with a raised priority
    assert (response["route"], response["ruleId"], response["reasons"]) == (
        "AGENT",
        "repeat-caller",
        "REPEAT_CALLER",
    )
    assert response["recentContacts72h"] == "2"
    assert response["priorityChange"] == "1"


def test_vip_with_a_complaint_goes_to_the_priority_queue_with_every_reason(box: Sandbox) -> None:
    with box.clock(MONDAY_10_NY):
        response = lookup_then_decide(
            box, "voice_vip_complaint.json", intent="Complaint", intentConfidence="0.88", sentiment="NEGATIVE"
        )
    assert response["route"] == "AGENT"
    assert response["queue"] == "priority"
    assert response["priorityChange"] == "2"
    assert response["reasons"].split(",")[:3] == ["VIP_CUSTOMER", "COMPLAINT", "NEGATIVE_SENTIMENT"]
    # the facts escalation builds on come back with the decision
    assert response["tier"] == "vip"
    assert response["sentiment"] == "NEGATIVE"
    assert response["answer"] == ""


def test_after_hours_a_caller_we_can_reach_is_offered_a_callback(box: Sandbox) -> None:
    with box.clock(SUNDAY_NIGHT_NY):
        response = lookup_then_decide(
            box, "voice_known_gold.json", intent="BillingDispute", intentConfidence="0.9"
        )
    assert response["route"] == "CALLBACK"
    assert response["reasons"].startswith("AFTER_HOURS_CALLBACK")
    assert response["hours"] == "AFTER_HOURS"
    assert "call you back" in response["answer"]


def test_on_a_holiday_a_withheld_caller_hears_the_closed_message_naming_the_holiday(box: Sandbox) -> None:
    with box.clock(CHRISTMAS_NY):
        response = lookup_then_decide(box, "voice_withheld.json", menuChoice="0")
    assert response["route"] == "CLOSED"
    assert response["ruleId"] == "holiday-closed"
    assert response["closureName"] == "Christmas Day"
    assert "Christmas Day" in response["answer"]


@pytest.mark.parametrize(
    "fixture", ["powertools__connectContactFlowEventAll.json", "powertools__connectContactFlowEventMin.json"]
)
def test_real_public_fixture_events_get_a_valid_decision(box: Sandbox, fixture: str) -> None:
    # Given a real event with none of Tandem's parameters
    raw = json.loads(shared_fixture(f"events/{fixture}").read_text())
    with box.clock(MONDAY_10_NY):
        response = box.invoke("ivr_decision", raw)
    # Then defaults apply: nothing understood, so a person
    assert_flow_contract(response)
    assert response["status"] == "OK"
    assert response["route"] == "AGENT"
    assert response["intent"] == "UNKNOWN"


@pytest.mark.parametrize("raw", [None, [], "text", {"Details": {}}, {"Details": {"ContactData": 3}}])
def test_a_malformed_event_still_sends_the_caller_to_a_person(box: Sandbox, raw: Any) -> None:
    response = box.invoke("ivr_decision", raw)
    assert_flow_contract(response)
    assert response["status"] == "INVALID_INPUT"
    assert response["route"] == "AGENT"
    assert response["queue"] == "general"
    # The fallback answer says who decided too, so its calls count under a rule and a variant
    assert (response["ruleId"], response["variant"], response["experimentId"]) == ("fallback", "champion", "")


def test_malformed_signals_are_named_and_never_crash(box: Sandbox) -> None:
    with box.clock(MONDAY_10_NY):
        response = box.invoke(
            "ivr_decision",
            flow_event(
                "voice_known_gold.json",
                intent="OrderStatus",
                intentConfidence="very",
                failedAttempts="-1",
                agentsAvailable="lots",
                sentiment="grumpy",
            ),
        )
    assert response["status"] == "OK"
    assert set(response["signalProblems"].split(",")) == {
        "intentConfidence",
        "failedAttempts",
        "agentsAvailable",
        "sentiment",
    }
    assert response["route"] == "AGENT"  # confidence fell back to 0: low confidence
    assert box.last.metrics and any("MalformedSignals" in json.dumps(m) for m in box.last.metrics)


def test_each_decision_is_recorded_once_without_personal_data(box: Sandbox) -> None:
    # Given a caller who says their name and number in the transcript
    parameters = {
        "intent": "OrderStatus",
        "intentConfidence": "0.9",
        "transcript": "this is Ana Silva on 202 555 0101 can I talk to an agent",
    }
    with box.clock(MONDAY_10_NY):
        first = lookup_then_decide(box, "voice_known_gold.json", **parameters)
        # When Connect retries the same block (same contact, same step)
        box.invoke("ivr_decision", box.last.event)
    items = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    # Then exactly one decision item exists, keyed by the contact
    assert len(items) == 1
    item = items[0]
    assert item["pk"]["S"] == "CONTACT#11111111-2222-4333-8444-555555555555"
    assert item["route"]["S"] == first["route"] == "AGENT"
    assert item["ruleId"]["S"] == "explicit-agent-request"
    assert (item["variant"]["S"], item["experimentId"]["S"]) == ("champion", "")
    assert item["context"]["M"]["asksForAgent"]["BOOL"] is True
    assert item["revisions"]["M"]["rules"]["S"] == SHIPPED_REVISION
    # And it is dated by the decision clock and expires 90 days (the default) after the decision
    assert item["decidedAt"]["S"] == "2026-11-23T15:00:00.000+00:00"
    assert int(item["expiresAt"]["N"]) == int(MONDAY_10_NY.timestamp()) + 90 * 86400
    # And neither the item nor the logs carry the caller's number, name, id or words
    written = json.dumps(item) + json.dumps(
        [i.log_lines for i in box.invocations if i.function_name == "ivr_decision"]
    )
    for personal in ("202555", "2025550101", "0101", "Ana", "Silva", "C1001", "talk to an agent"):
        assert personal not in written


def test_a_warm_invocation_makes_one_aws_call(box: Sandbox) -> None:
    event = flow_event("voice_known_gold.json", intent="OpeningHours", intentConfidence="0.95")
    with box.clock(MONDAY_10_NY):
        box.invoke("ivr_decision", event)  # cold: reads the store, writes the decision
        cold_calls = box.last.aws_calls
        box.invoke("ivr_decision", event)
    # The init phase: one recursive read of the store (the five shipped documents and the
    # experiment's stop take two pages of 10); no experiment by caller, so no secret read
    reads = cold_calls[:-1]
    assert reads == ["ssm.GetParametersByPath"] * 2, cold_calls
    assert cold_calls[-1] == "dynamodb.PutItem"
    assert box.last.aws_calls == ["dynamodb.PutItem"]


def test_store_unreachable_at_cold_start_serves_the_bundled_rules_and_says_so() -> None:
    from tandem.local import sandbox

    event = flow_event("voice_known_gold.json", intent="Returns", intentConfidence="1")
    with sandbox(attach=False, env={"IVR_RULES_RETRY_SECONDS": "0"}) as box, box.clock(MONDAY_10_NY):
        with box.fault(Fault("ssm")):
            response = box.invoke("ivr_decision", event)
        # Then the bundled rules decide, and the answer says the store could not be read
        assert (response["status"], response["degradedReason"]) == ("DEGRADED", "RULES_STORE_UNAVAILABLE")
        assert (response["route"], response["rulesSource"]) == ("SELF_SERVICE", "bundled")
        assert any(m.startswith("rules store unreachable") for m in messages(box.last.log_lines))
        assert any("RulesStoreDegraded" in json.dumps(m) for m in box.last.metrics)
        # When a later read succeeds, Then the answer is OK again, from the store
        recovered = box.invoke("ivr_decision", event)
    assert (recovered["status"], recovered["route"], recovered["rulesSource"]) == (
        "OK",
        "SELF_SERVICE",
        "store",
    )
    assert "degradedReason" not in recovered


def messages(log_lines: list[dict[str, Any]]) -> list[str]:
    return [str(line.get("message", "")) for line in log_lines]


def test_interaction_table_down_still_answers_and_counts_the_gap(box: Sandbox) -> None:
    with box.fault(Fault("dynamodb", "PutItem")), box.clock(MONDAY_10_NY):
        response = box.invoke(
            "ivr_decision", flow_event("voice_known_gold.json", intent="Returns", intentConfidence="1")
        )
    assert response["status"] == "OK"
    assert response["route"] == "SELF_SERVICE"
    assert response["interactionRecorded"] == "false"
    assert any("InteractionWriteFailures" in json.dumps(m) for m in box.last.metrics)


def test_slow_store_cannot_hold_the_caller_past_the_budget(box: Sandbox) -> None:
    # Given SSM that takes 5 s to answer (longer than the whole function timeout)
    with box.fault(Fault("ssm", error_code=None, delay_seconds=5)), box.clock(MONDAY_10_NY):
        started = time.perf_counter()
        response = box.invoke(
            "ivr_decision", flow_event("voice_known_gold.json", intent="Returns", intentConfidence="1")
        )
        elapsed = time.perf_counter() - started
    # Then the answer still comes, from what the container holds (bundled: it never read the store)
    assert (response["status"], response["degradedReason"]) == ("DEGRADED", "RULES_STORE_UNAVAILABLE")
    assert response["route"] == "SELF_SERVICE"
    assert elapsed < 4.0


def test_missing_configuration_answers_degraded_to_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    from tandem.local import sandbox

    with sandbox(env={"IVR_CONFIG_PATH": "not-a-path"}) as box:
        response = box.invoke("ivr_decision", flow_event("voice_known_gold.json", intent="Returns"))
        assert response["status"] == "DEGRADED"
        assert response["route"] == "AGENT"
        assert response["degradedReason"] == "CONFIG"
        assert (response["variant"], response["experimentId"]) == ("champion", "")


def test_rules_reload_after_max_age_and_bad_change_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tandem.local import sandbox

    event = flow_event("voice_known_gold.json", intent="Returns", intentConfidence="0.95")
    with sandbox(env={"IVR_RULES_MAX_AGE_SECONDS": "1"}) as box, box.clock(MONDAY_10_NY):
        assert box.invoke("ivr_decision", event)["rulesRevision"] == SHIPPED_REVISION
        # The store's age is on its own clock, moved by hand: a loaded machine cannot age the set
        ticks = [time.monotonic()]
        handler_module("ivr_decision").CONTAINER.get().store._clock = lambda: ticks[0]

        def wait_past_max_age() -> None:
            ticks[0] += 1.1

        # Given an operator pushes a stricter rule set: returns now go to a person
        stricter = rules_document(revision="2026-11-24.1")
        stricter["rules"].insert(
            0,
            {
                "id": "returns-to-people",
                "when": {"fact": "intent", "eq": "RETURN_POLICY"},
                "action": {"route": "AGENT", "queue": "general"},
                "reason": "RETURNS_BY_PEOPLE",
            },
        )
        push(box, stricter)
        # Then the warm container keeps its set until the max age has passed
        assert box.invoke("ivr_decision", event)["route"] == "SELF_SERVICE"
        wait_past_max_age()
        changed = box.invoke("ivr_decision", event)
        assert (changed["route"], changed["ruleId"], changed["rulesRevision"]) == (
            "AGENT",
            "returns-to-people",
            "2026-11-24.1",
        )

        # When a broken set is pushed (a typo in a fact name)
        broken = rules_document(revision="2026-11-25.1")
        index = next(i for i, r in enumerate(broken["rules"]) if r["id"] == "after-hours-callback")
        broken["rules"][index]["when"]["all"][0]["fact"] = "hourz"
        push(box, broken)
        wait_past_max_age()
        kept = box.invoke("ivr_decision", event)
        # Then it is refused, the error names the rule and the field, and the last valid set serves
        assert kept["rulesRevision"] == "2026-11-24.1"
        assert kept["route"] == "AGENT"
        refused = [
            line
            for line in box.last.log_lines
            if line.get("message", "").startswith("rules store document refused")
        ]
        assert refused
        assert (
            f"rule 'after-hours-callback' (rules[{index}]) field when.all[0].fact: unknown fact 'hourz'"
            in refused[0]["problem"]
        )
        assert any("RulesRefused" in json.dumps(m) for m in box.last.metrics)

        # When the operator fixes it, Then the fix is served after the next max age
        push(box, rules_document(revision="2026-11-25.2"))
        wait_past_max_age()
        assert box.invoke("ivr_decision", event)["rulesRevision"] == "2026-11-25.2"


def test_a_half_written_push_is_not_served(box: Sandbox) -> None:
    # Given a push that died after writing its first part but before the head
    ssm = box.client("ssm")
    ssm.put_parameter(Name=f"{SANDBOX_CONFIG_PATH}/rules/01", Value='{"kind":', Type="String", Overwrite=True)
    # When a new container reads the store, Then the hash check refuses the mix and the old set serves
    box.cold_start("ivr_decision")
    with box.clock(MONDAY_10_NY):
        response = box.invoke(
            "ivr_decision", flow_event("voice_known_gold.json", intent="Returns", intentConfidence="1")
        )
    assert response["rulesSource"] == "bundled"
    assert response["route"] == "SELF_SERVICE"
    # The store was read, but holds no valid rules yet: the bundled ones serve, and the answer says so
    assert (response["status"], response["degradedReason"]) == ("DEGRADED", "RULES_STORE_INCOMPLETE")
    assert any("do not match the head's hash" in line.get("problem", "") for line in box.last.log_lines)


def test_valid_default_documents_round_trip_through_the_store(box: Sandbox) -> None:
    # The sandbox seeded the defaults with the same code `tandem rules push` uses
    from lambdas.documents.storage_format import decode_documents
    from lambdas.documents.store import fetch_parameters

    stored = decode_documents(SANDBOX_CONFIG_PATH, fetch_parameters(box.client("ssm"), SANDBOX_CONFIG_PATH))
    for name in ("rules", "content", "calendar"):
        text = (DEFAULTS_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert stored[name].text == parse_text(text).canonical_text  # type: ignore[union-attr]


def test_demo_cli_shows_machine_and_human_decisions(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    # When the demo runs (JSON for machines)
    assert main(["demo", "--handlers", "--format", "json"]) == 0
    decisions = {d["scenario"]: d["response"] for d in json.loads(capsys.readouterr().out)["decisions"]}
    # Then every kind of route appears, each for the reason the policy gives
    routes = {name: (r["route"], r["reasons"].split(",")[0]) for name, r in decisions.items()}
    assert routes["gold, where is my order"] == ("SELF_SERVICE", "ROUTINE_SELF_SERVICE")
    assert routes["third call in a day"] == ("AGENT", "REPEAT_CALLER")
    assert routes["VIP complaint, angry"] == ("AGENT", "VIP_CUSTOMER")
    assert routes["billing dispute, long queue"] == ("CALLBACK", "LONG_WAIT_CALLBACK")
    assert routes["withheld, Christmas Day"] == ("CLOSED", "HOLIDAY_CLOSED")
    assert decisions["Vietnamese caller, opening hours"]["answer"].startswith("Nhân viên")
    assert all(r["status"] == "OK" and r["interactionRecorded"] == "true" for r in decisions.values())


def test_the_flow_gets_the_next_attempt_count_it_cannot_compute(box: Sandbox) -> None:
    # Flow language has no arithmetic: the decision hands back failedAttempts + 1
    with box.clock(MONDAY_10_NY):
        response = box.invoke(
            "ivr_decision", flow_event("voice_known_gold.json", intent="Returns", failedAttempts="1")
        )
    assert response["attemptsIfUnresolved"] == "2"
