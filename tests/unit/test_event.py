"""Reading the Connect event forgivingly."""

from __future__ import annotations

import json

import pytest

from lambdas.shared.event import CHANNELS, INITIATION_METHODS, MALFORMED, InvalidEvent, parse_contact_event
from tests.conftest import shared_fixture


def _event(contact: dict, parameters: object = None) -> dict:  # type: ignore[type-arg]
    return {"Name": "ContactFlowEvent", "Details": {"ContactData": contact, "Parameters": parameters or {}}}


def test_powertools_full_fixture_is_read() -> None:
    raw = json.loads(shared_fixture("events/powertools__connectContactFlowEventAll.json").read_text())
    event = parse_contact_event(raw)
    assert event.contact_id == "5ca32fbd-8f92-46af-92a5-6b0f970f0efe"
    assert event.channel == "VOICE"
    assert event.initiation_method == "API"
    assert event.customer_endpoint is not None
    assert event.customer_endpoint.type == "TELEPHONE_NUMBER"
    assert event.queue_name == "QueueOne"
    assert event.parameters == {"ParameterOne": "One", "ParameterTwo": "Two"}
    assert event.attributes == {"Language": "en-US"}


def test_powertools_minimal_fixture_has_null_endpoints() -> None:
    raw = json.loads(shared_fixture("events/powertools__connectContactFlowEventMin.json").read_text())
    event = parse_contact_event(raw)
    assert event.customer_endpoint is None
    assert event.system_endpoint is None
    assert event.queue_name == ""


@pytest.mark.parametrize("channel", ["TASK", "EMAIL", "CHAT", "voice", "SOMETHING_NEW"])
def test_channels_powertools_does_not_know_are_kept(channel: str) -> None:
    event = parse_contact_event(
        _event({"ContactId": "c", "Channel": channel, "InitiationMethod": "QUEUE_TRANSFER"})
    )
    assert event.channel == channel.upper()
    assert event.initiation_method == "QUEUE_TRANSFER"


def test_parameters_of_any_json_type_become_strings() -> None:
    event = parse_contact_event(
        _event(
            {"ContactId": "c", "Attributes": {"n": 5}},
            {"count": 3, "flag": True, "nested": {"a": [1]}, "x": None},
        )
    )
    assert event.parameters == {"count": "3", "flag": "true", "nested": '{"a":[1]}'}
    assert event.attributes == {"n": "5"}


def test_initial_contact_id_correlates_and_falls_back_to_contact_id() -> None:
    assert parse_contact_event(_event({"ContactId": "b", "InitialContactId": "a"})).correlation_id == "a"
    assert parse_contact_event(_event({"ContactId": "b"})).correlation_id == "b"


def test_value_prefers_block_parameters_over_attributes() -> None:
    event = parse_contact_event(
        _event({"ContactId": "c", "Attributes": {"x": "attr", "y": "attr"}}, {"x": "param"})
    )
    assert event.value("x") == "param"
    assert event.value("y") == "attr"
    assert event.value("z", "default") == "default"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("text", "JSON object"),
        ({}, "'Details'"),
        ({"Details": []}, "'Details'"),
        ({"Details": {}}, "ContactData"),
    ],
)
def test_events_without_contact_data_are_invalid_with_a_clear_reason(raw: object, problem: str) -> None:
    with pytest.raises(InvalidEvent, match=problem):
        parse_contact_event(raw)


def test_mistyped_members_become_empty_values() -> None:
    event = parse_contact_event(
        _event(
            {"ContactId": ["x"], "Channel": 5, "CustomerEndpoint": "nope", "Queue": [], "Attributes": "no"},
            [1],
        )
    )
    assert event.contact_id == ""
    assert event.channel == "5"
    assert event.customer_endpoint is None
    assert event.attributes == {}
    assert event.parameters == {}


# --- what a log may show -----------------------------------------------------------------------------

UUID = "11111111-2222-4333-8444-555555555555"


def test_ids_and_codes_of_connects_shape_are_logged_as_they_are() -> None:
    event = parse_contact_event(
        _event({"ContactId": UUID, "InitialContactId": UUID, "Channel": "voice", "InitiationMethod": "API"})
    )
    assert event.log_keys() == {"contact_id": UUID, "channel": "VOICE", "initiation_method": "API"}
    assert event.log_correlation_id() == UUID


@pytest.mark.parametrize(
    "value",
    [
        "+12025550101",
        "202 555 0101",
        "Ana Souza",
        "ana@example.com",
        UUID.upper(),  # Connect's ids are lowercase
        f"{UUID} ",  # stripped by the parser: still a UUID (below), so kept
        f"{UUID}x",
        "x" * 5000,
        "VOICE",
    ],
)
def test_anything_else_is_logged_as_a_marker_never_its_text(value: str) -> None:
    event = parse_contact_event(
        _event({"ContactId": value, "InitialContactId": value, "Channel": value, "InitiationMethod": value})
    )
    keys = event.log_keys()
    if value.strip() == UUID:
        assert keys["contact_id"] == event.log_correlation_id() == UUID
    else:
        assert keys["contact_id"] == event.log_correlation_id() == MALFORMED
    assert keys["channel"] == ("VOICE" if value == "VOICE" else MALFORMED)
    assert keys["initiation_method"] == MALFORMED
    assert value.strip() not in json.dumps(keys) or value.strip() in (UUID, "VOICE")


def test_a_valid_contact_id_with_a_malformed_initial_id_correlates_on_the_marker() -> None:
    event = parse_contact_event(_event({"ContactId": UUID, "InitialContactId": "+12025550101"}))
    assert (event.log_keys()["contact_id"], event.log_correlation_id()) == (UUID, MALFORMED)


def test_absent_members_log_as_empty() -> None:
    event = parse_contact_event(_event({}))
    assert event.log_keys() == {"contact_id": "", "channel": "", "initiation_method": ""}
    assert event.log_correlation_id() is None


def test_the_known_codes_are_connects_own() -> None:
    # Given the installed botocore's Connect model / Then the lists match it (an upgrade that adds a
    # channel or an initiation method fails here until the list in lambdas/shared/event.py has it)
    import botocore.session

    model = botocore.session.get_session().get_service_model("connect")
    assert set(CHANNELS) == set(model.shape_for("Channel").enum)
    assert set(INITIATION_METHODS) == set(model.shape_for("ContactInitiationMethod").enum)
