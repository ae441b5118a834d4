"""crm_lookup's real handler on moto through the sandbox, with real and project events."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tandem.local import Sandbox, sandbox
from tandem.local.demo_data import DEMO_CUSTOMERS
from tandem.local.faults import Fault
from tests.conftest import OWN_EVENTS, assert_flow_contract, load_event, shared_fixture

# (event file, status, customerId, callerType)
OWN_CASES = [
    ("voice_known_gold.json", "OK", "C1001", "PHONE"),
    ("voice_vip_complaint.json", "OK", "C1003", "PHONE"),
    ("voice_unknown.json", "NOT_FOUND", "", "PHONE"),
    ("voice_withheld.json", "NOT_FOUND", "", "WITHHELD"),
    ("voice_national_format.json", "OK", "C1007", "PHONE"),
    ("voice_uk_national_on_uk_line.json", "OK", "C1016", "PHONE"),
    ("chat_no_phone.json", "NOT_FOUND", "", "NON_PHONE"),
    ("task_api.json", "NOT_FOUND", "", "NON_PHONE"),
    ("email_inbound.json", "NOT_FOUND", "", "NON_PHONE"),
    ("voice_queue_transfer.json", "OK", "C1001", "PHONE"),
]


@pytest.mark.parametrize(("name", "status", "customer_id", "caller_type"), OWN_CASES)
def test_project_events(box: Sandbox, name: str, status: str, customer_id: str, caller_type: str) -> None:
    # Given one of the project's own events, When the flow invokes crm_lookup
    response = box.invoke("crm_lookup", load_event(name))
    # Then the flow receives a valid answer for that caller
    assert_flow_contract(response)
    assert response["status"] == status
    assert response["customerId"] == customer_id
    assert response["callerType"] == caller_type


def test_every_own_event_is_covered() -> None:
    assert {p.name for p in OWN_EVENTS.glob("*.json")} == {case[0] for case in OWN_CASES}


@pytest.mark.parametrize(
    "fixture", ["powertools__connectContactFlowEventAll.json", "powertools__connectContactFlowEventMin.json"]
)
def test_real_powertools_fixture_events(box: Sandbox, fixture: str) -> None:
    # Given a real public fixture event (its caller is in no CRM)
    raw = json.loads(shared_fixture(f"events/{fixture}").read_text())
    # When invoked, Then a valid unknown-caller answer comes back
    response = box.invoke("crm_lookup", raw)
    assert_flow_contract(response)
    assert response["status"] == "NOT_FOUND"
    assert response["tier"] == "standard"


def test_a_known_caller_gets_the_full_profile(box: Sandbox) -> None:
    response = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert response == {
        **response,
        "customerFound": "true",
        "firstName": "Ana",
        "tier": "gold",
        "latestOrderId": "1042",
        "latestOrderStatus": "SHIPPED",
        "openComplaints": "0",
        "recentContacts72h": "2",
        "crmSource": "dynamodb",
        "phoneCountry": "US",
    }


def test_one_aws_call_on_a_miss_and_none_on_a_hit(box: Sandbox) -> None:
    box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert box.last.aws_calls == ["dynamodb.Query"]
    box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert box.last.aws_calls == []
    assert box.last.response["crmSource"] == "cache"


def test_malformed_events_answer_invalid_input(box: Sandbox) -> None:
    for raw in [None, "text", 42, [], {}, {"Details": None}, {"Details": {"ContactData": "x"}}]:
        response = box.invoke("crm_lookup", raw)
        assert_flow_contract(response)
        assert response["status"] == "INVALID_INPUT"


def test_an_unavailable_crm_answers_degraded_after_two_attempts(box: Sandbox) -> None:
    # Given DynamoDB answering 503 to every request
    with box.crm_outage():
        response = box.invoke("crm_lookup", load_event("voice_vip_complaint.json"))
    # Then the flow still gets an answer it can route on, after exactly the configured attempts
    assert_flow_contract(response)
    assert response["status"] == "DEGRADED"
    assert response["degradedReason"] == "CRM_UNAVAILABLE"
    assert box.last.aws_calls == ["dynamodb.Query", "dynamodb.Query"]
    assert any(m.get("CrmDegraded") for m in box.last.metrics)


def test_a_slow_crm_is_cut_off_at_the_lookup_budget() -> None:
    # Given a 300 ms budget and a DynamoDB that takes a real second to answer
    slow_query = Fault("dynamodb", "Query", error_code=None, delay_seconds=1.0)
    with sandbox(env={"LOOKUP_BUDGET_MS": "300"}) as box, box.fault(slow_query):
        started = time.monotonic()
        response = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
        elapsed = time.monotonic() - started
    # Then the answer comes at the budget, not when DynamoDB finally replies
    assert response["status"] == "DEGRADED"
    assert response["degradedReason"] == "TIMEOUT"
    assert elapsed < 0.9


@pytest.mark.slow
def test_a_customer_seen_recently_is_still_recognised_during_an_outage() -> None:
    with sandbox(env={"LOOKUP_CACHE_TTL_SECONDS": "1"}) as box:
        box.invoke("crm_lookup", load_event("voice_known_gold.json"))
        time.sleep(1.1)  # the entry is now past its TTL, inside the stale grace period
        with box.crm_outage():
            response = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert response["status"] == "DEGRADED"
    assert response["firstName"] == "Ana"
    assert response["stale"] == "true"


def test_broken_configuration_answers_degraded_and_names_the_variable() -> None:
    with sandbox(env={"CRM_ADAPTER": "salesforce"}) as box:
        response = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert response["status"] == "DEGRADED"
    assert response["degradedReason"] == "CONFIG"
    assert any("CRM_ADAPTER" in str(line.get("problem", "")) for line in box.last.log_lines)


def test_logs_carry_the_contact_id_and_never_a_number_or_name(box: Sandbox) -> None:
    for path in sorted(OWN_EVENTS.glob("*.json")):
        box.invoke("crm_lookup", load_event(path.name))
    with box.crm_outage():
        box.invoke("crm_lookup", load_event("voice_vip_complaint.json"))
    lines = [line for inv in box.invocations for line in inv.log_lines]
    assert lines and all(line.get("correlation_id") for line in lines)
    text = json.dumps(lines, ensure_ascii=False)
    secrets = {c.phone for c in DEMO_CUSTOMERS} | {c.phone[2:] for c in DEMO_CUSTOMERS}
    secrets |= {c.first_name for c in DEMO_CUSTOMERS} | {c.last_name for c in DEMO_CUSTOMERS}
    secrets |= {"555-0107", "07700 900123", "example.com"}
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []


def test_emf_metrics_count_lookups(box: Sandbox) -> None:
    box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    documents = [m for inv in box.invocations for m in inv.metrics]
    assert [d["CrmLookups"] for d in documents] == [[1.0], [1.0]]
    assert "CrmCacheHits" in documents[1]
    assert documents[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Tandem"


def test_the_sandbox_sets_fake_credentials_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    with sandbox(seed=False) as box:
        import os

        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_ACCESS_KEY_ID"] in {"testing", "FOOBARKEY"}  # ours, or moto's own fake
        assert box.client("dynamodb").list_tables()["TableNames"] == sorted(box.table_names.values())
    assert os.environ["AWS_PROFILE"] == "production"


def test_seeded_demo_data_spans_tiers_orders_complaints_and_contacts(box: Sandbox) -> None:
    assert len(DEMO_CUSTOMERS) >= 20
    assert {c.tier for c in DEMO_CUSTOMERS} == {"standard", "gold", "vip"}
    assert sum(1 for c in DEMO_CUSTOMERS if c.open_complaints) >= 3
    assert sum(1 for c in DEMO_CUSTOMERS if any(o.status in {"SHIPPED", "PROCESSING"} for o in c.orders)) >= 5
    assert sum(1 for c in DEMO_CUSTOMERS if c.contacts_hours_ago) >= 5
    table = box.table_names["CUSTOMERS_TABLE"]
    assert box.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"] > 60


def test_unknown_function_names_are_refused(box: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown function 'nope'"):
        box.invoke("nope", {})


def test_demo_cli_prints_json_for_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    assert main(["demo", "--handlers", "--format", "json"]) == 0
    calls = json.loads(capsys.readouterr().out)["calls"]
    statuses = {c["scenario"]: c["response"]["status"] for c in calls}
    assert statuses["known gold caller (E.164)"] == "OK"
    assert statuses["withheld number"] == "NOT_FOUND"
    assert statuses["CRM down, new caller"] == "DEGRADED"
    assert statuses["UK national format on a UK line"] == "OK"
    assert len(calls) >= 8


def test_events_dir_is_not_the_shared_fixtures() -> None:
    # The shared fixtures are read in place, never copied into the repository.
    assert not any(Path(OWN_EVENTS).glob("powertools__*"))
