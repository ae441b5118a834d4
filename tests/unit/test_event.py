"""Reading the Connect event forgivingly."""

from __future__ import annotations

import json

import pytest

from lambdas.shared.event import InvalidEvent, parse_contact_event
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
