"""survey's real handler on moto through the sandbox: validation, one item per contact, failures.

The event is what flows/post_call_survey.json sends: the pressed digit as `csat`, and the
contact's `route`, `queue` and `intent` attributes.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tandem.local import Sandbox
from tandem.local.faults import Fault
from tests.conftest import assert_flow_contract, load_event

CONTACT = "11111111-2222-4333-8444-555555555555"
SURVEYED_AT = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def survey_event(csat: str, **attributes: str) -> dict[str, Any]:
    event = load_event("voice_known_gold.json")
    event["Details"]["ContactData"]["Attributes"] = {
        "route": "AGENT",
        "queue": "priority",
        "intent": "COMPLAINT",
        **attributes,
    }
    attributes = event["Details"]["ContactData"]["Attributes"]
    # The block passes $.FlowAttributes.csat and $.Attributes.route/queue/intent, resolved by Connect.
    event["Details"]["Parameters"] = {
        "step": "record-survey",
        "csat": csat,
        **{name: attributes[name] for name in ("route", "queue", "intent")},
    }
    return event


def surveys(box: Sandbox) -> list[dict[str, Any]]:
    items = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    return [item for item in items if item["sk"]["S"].startswith("SURVEY#")]


@pytest.mark.parametrize("rating", ["1", "2", "3", "4", "5"])
def test_a_valid_rating_is_stored_once_even_when_connect_retries(box: Sandbox, rating: str) -> None:
    # Given a caller who pressed a rating after talking to an agent
    event = survey_event(rating)
    with box.clock(SURVEYED_AT):
        # When the block runs, and Connect retries it (same contact, same step)
        first = box.invoke("survey", event)
        second = box.invoke("survey", event)
    # Then both answers say the rating was recorded
    for response in (first, second):
        assert_flow_contract(response)
        assert response == {"status": "OK", "csat": rating, "recorded": "true"}
    # And exactly one item exists, under the contact's partition, with the rating as a number
    (item,) = surveys(box)
    assert item["pk"]["S"] == f"CONTACT#{CONTACT}"
    assert item["sk"]["S"] == f"SURVEY#{CONTACT}"
    assert item["type"]["S"] == "SURVEY"
    assert item["csat"] == {"N": rating}
    assert (item["route"]["S"], item["queue"]["S"], item["intent"]["S"]) == ("AGENT", "priority", "COMPLAINT")
    assert item["surveyedAt"]["S"] == "2026-11-23T15:30:00.000+00:00"
    assert int(item["expiresAt"]["N"]) == int(SURVEYED_AT.timestamp()) + 90 * 86400
    # And one PutItem per invocation, nothing else
    assert box.last.aws_calls == ["dynamodb.PutItem"]


def test_a_transfer_segment_gets_its_own_item_in_the_same_contact_partition(box: Sandbox) -> None:
    # Given the survey run on a later segment of the same call (new ContactId, same initial id)
    first = survey_event("4")
    later = survey_event("2")
    later["Details"]["ContactData"]["ContactId"] = "99999999-2222-4333-8444-555555555555"
    box.invoke("survey", first)
    box.invoke("survey", later)
    # Then both are kept, side by side in the one partition
    items = sorted(surveys(box), key=lambda item: item["sk"]["S"])
    assert [i["pk"]["S"] for i in items] == [f"CONTACT#{CONTACT}"] * 2
    assert [i["csat"]["N"] for i in items] == ["4", "2"]


@pytest.mark.parametrize("raw", ["0", "6", "abc", "", "3.5", "-1", "10", "٣", "1 2"])
def test_anything_but_one_to_five_is_invalid_and_nothing_is_stored(box: Sandbox, raw: str) -> None:
    # Given a key press that is not a rating / When the block runs
    response = box.invoke("survey", survey_event(raw))
    # Then the flow hears INVALID_INPUT, nothing is written, and no AWS call was made
    assert_flow_contract(response)
    assert response["status"] == "INVALID_INPUT"
    assert response["recorded"] == "false"
    assert response["csat"] == ""
    assert surveys(box) == []
    assert box.last.aws_calls == []


def test_a_rating_left_in_an_attribute_is_not_taken_for_this_blocks_input(box: Sandbox) -> None:
    # Given no csat parameter, but a csat contact attribute from somewhere else
    event = survey_event("")
    del event["Details"]["Parameters"]["csat"]
    event["Details"]["ContactData"]["Attributes"]["csat"] = "5"
    # When the block runs / Then it is not a rating
    assert box.invoke("survey", event)["status"] == "INVALID_INPUT"
    assert surveys(box) == []


def test_table_down_answers_degraded_and_not_recorded(box: Sandbox) -> None:
    # Given the Interactions table refusing writes
    with box.fault(Fault("dynamodb", "PutItem")):
        response = box.invoke("survey", survey_event("3"))
    # Then the flow still gets a valid answer it can thank the caller on, marked not recorded
    assert_flow_contract(response)
    assert response == {
        "status": "DEGRADED",
        "csat": "3",
        "recorded": "false",
        "degradedReason": "STORE_UNAVAILABLE",
    }
    assert any("SurveyWriteFailures" in json.dumps(m) for m in box.last.metrics)
    assert any(line.get("message") == "survey not recorded" for line in box.last.log_lines)


def test_a_slow_table_cannot_hold_the_caller_past_the_budget(box: Sandbox) -> None:
    # Given DynamoDB that takes 5 s to answer (longer than the function's timeout)
    with box.fault(Fault("dynamodb", "PutItem", error_code=None, delay_seconds=5)):
        started = time.perf_counter()
        response = box.invoke("survey", survey_event("5"))
        elapsed = time.perf_counter() - started
    # Then the answer comes inside the block's limit, marked not recorded
    assert response["status"] == "DEGRADED"
    assert response["recorded"] == "false"
    assert response["degradedReason"] == "TIMEOUT"
    assert elapsed < 3.0


def test_no_personal_data_in_the_item_or_the_logs(box: Sandbox) -> None:
    # Given a contact whose attributes carry the caller's name and number, and free text where
    # codes are expected
    event = survey_event("5", firstName="Ana", customerId="C1001")
    event["Details"]["Parameters"]["queue"] = "Ana Silva +12025550101"
    event["Details"]["Parameters"]["intent"] = "call me on 2025550101"
    # When the rating is recorded
    assert box.invoke("survey", event)["status"] == "OK"
    box.invoke("survey", survey_event("9", firstName="Ana"))  # and an invalid one
    # Then neither the item nor any log line carries the number, the name or the customer id
    (item,) = surveys(box)
    assert item["queue"]["S"] == "" and item["intent"]["S"] == ""
    written = json.dumps(item) + json.dumps([i.log_lines for i in box.invocations])
    for personal in ("2025550101", "202555", "Ana", "Silva", "C1001"):
        assert personal not in written


@pytest.mark.parametrize("raw", [None, [], "text", {"Details": {}}])
def test_a_malformed_event_answers_invalid_input(box: Sandbox, raw: Any) -> None:
    response = box.invoke("survey", raw)
    assert_flow_contract(response)
    assert response["status"] == "INVALID_INPUT"
    assert response["recorded"] == "false"


def test_missing_configuration_answers_degraded() -> None:
    # Given no table name / Then DEGRADED (CONFIG), never an exception
    from tandem.local import sandbox

    with sandbox(attach=False, env={"INTERACTIONS_TABLE": ""}) as box:
        response = box.invoke("survey", survey_event("4"))
    assert response == {"status": "DEGRADED", "csat": "", "recorded": "false", "degradedReason": "CONFIG"}
