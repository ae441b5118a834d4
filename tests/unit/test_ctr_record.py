"""Reading one contact trace record: what is kept, what is forgiven, what is refused."""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.ctr_ingest.record import (
    AgentSegment,
    Attributes,
    ContactRecord,
    MalformedRecord,
    QueueSegment,
    parse_record,
)

CALLER = "+12025550143"
AGENT_LOGIN = "ana.lopez"

# The example record (docs/connect-facts.md §3.4) with the members a real record also carries.
REFERENCE = {
    "AWSAccountId": "111122223333",
    "AWSContactTraceRecordFormatVersion": "2017-03-10",
    "InstanceARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "ContactId": "11111111-2222-3333-4444-555555555555",
    "InitialContactId": None,
    "PreviousContactId": None,
    "NextContactId": None,
    "Channel": "VOICE",
    "InitiationMethod": "INBOUND",
    "InitiationTimestamp": "2025-03-04T09:15:01Z",
    "ConnectedToSystemTimestamp": "2025-03-04T09:15:02Z",
    "DisconnectTimestamp": "2025-03-04T09:19:20Z",
    "LastUpdateTimestamp": "2025-03-04T09:21:05Z",
    "DisconnectReason": "CUSTOMER_DISCONNECT",
    "CustomerEndpoint": {"Address": CALLER, "Type": "TELEPHONE_NUMBER"},
    "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
    "Queue": {
        "ARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa/queue/q-billing",
        "Name": "Billing",
        "EnqueueTimestamp": "2025-03-04T09:16:10Z",
        "DequeueTimestamp": "2025-03-04T09:16:55Z",
        "Duration": 45,
    },
    "Agent": {
        "ARN": "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa/agent/ag-1",
        "Username": AGENT_LOGIN,
        "ConnectedToAgentTimestamp": "2025-03-04T09:16:55Z",
        "AgentInteractionDuration": 145,
        "CustomerHoldDuration": 20,
        "AfterContactWorkDuration": 35,
        "AfterContactWorkStartTimestamp": "2025-03-04T09:19:20Z",
        "AfterContactWorkEndTimestamp": "2025-03-04T09:19:55Z",
        "LongestHoldDuration": 20,
        "NumberOfHolds": 1,
        "RoutingProfile": {"ARN": "arn:aws:connect:...:routing-profile/rp-1", "Name": "Basic"},
        "HierarchyGroups": None,
    },
    "AgentConnectionAttempts": 1,
    "Attributes": {
        "tandemOutcome": "QUEUED",
        "route": "AGENT",
        "intent": "BILLING_DISPUTE",
        "reasons": "ASKED_FOR_AGENT,VIP_CUSTOMER",
        "queue": "billing",
        "firstName": "Ana",
        "whisper": "Gold customer Ana, order 1042 shipped.",
    },
    "TransferredToEndpoint": None,
    "TransferCompletedTimestamp": None,
    "Recording": None,
    "Recordings": None,
    "MediaStreams": [{"Type": "AUDIO"}],
    "References": [],
    "ContactDetails": {},
}


def _with(**changes: Any) -> dict[str, Any]:
    """The reference record with top-level members replaced (None keeps a null, ... removes)."""
    raw = copy.deepcopy(REFERENCE)
    for name, value in changes.items():
        if value is ...:
            raw.pop(name, None)
        else:
            raw[name] = value
    return raw


def _parse(raw: Any) -> ContactRecord:
    return parse_record(json.dumps(raw))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_reference_record_keeps_what_classification_needs() -> None:
    record = _parse(REFERENCE)
    assert record == ContactRecord(
        contact_id="11111111-2222-3333-4444-555555555555",
        initial_contact_id="11111111-2222-3333-4444-555555555555",
        previous_contact_id=None,
        channel="VOICE",
        initiation_method="INBOUND",
        initiation=_utc("2025-03-04T09:15:01"),
        last_update=_utc("2025-03-04T09:21:05"),
        disconnect_reason="CUSTOMER_DISCONNECT",
        queue=QueueSegment(
            name="Billing",
            enqueued=_utc("2025-03-04T09:16:10"),
            dequeued=_utc("2025-03-04T09:16:55"),
            duration=45,
        ),
        agent=AgentSegment(connected_at=_utc("2025-03-04T09:16:55"), interaction=145, hold=20, acw=35),
        transferred_to_endpoint=False,
        attributes=Attributes(
            outcome="QUEUED",
            route="AGENT",
            intent="BILLING_DISPUTE",
            reasons=("ASKED_FOR_AGENT", "VIP_CUSTOMER"),
            queue="billing",
            csat=None,
        ),
    )
    assert record.initiation.tzinfo is UTC


def test_bytes_and_text_give_the_same_record() -> None:
    text = json.dumps(REFERENCE)
    assert parse_record(text.encode("utf-8")) == parse_record(text)


def test_a_later_segment_keeps_its_call_and_previous_ids() -> None:
    record = _parse(
        _with(
            ContactId="22222222-2222-3333-4444-555555555555",
            InitialContactId="11111111-2222-3333-4444-555555555555",
            PreviousContactId="11111111-2222-3333-4444-555555555555",
            InitiationMethod="TRANSFER",
        )
    )
    assert record.contact_id == "22222222-2222-3333-4444-555555555555"
    assert record.initial_contact_id == "11111111-2222-3333-4444-555555555555"
    assert record.previous_contact_id == "11111111-2222-3333-4444-555555555555"
    assert record.initiation_method == "TRANSFER"


@pytest.mark.parametrize("absent", [None, ...])
def test_initial_contact_id_null_or_absent_is_the_contact_itself(absent: Any) -> None:
    record = _parse(_with(InitialContactId=absent))
    assert record.initial_contact_id == record.contact_id


def test_unknown_fields_are_ignored() -> None:
    noisy = _with(
        SegmentAttributes={"connect:Subtype": {"ValueString": "connect:Telephony"}},
        Tags={"team": "blue"},
        QualityMetrics={"Agent": {"Audio": {"QualityScore": 4.5}}},
        DisconnectDetails={"PotentialDisconnectIssue": "AGENT_CONNECTIVITY_ISSUE"},
        SomethingAwsAddsNextYear=[1, 2, {"x": None}],
    )
    noisy["Queue"]["HierarchyPath"] = {"Level1": "east"}
    noisy["Agent"]["DeviceInfo"] = {"PlatformName": "Chrome"}
    assert _parse(noisy) == _parse(REFERENCE)


@pytest.mark.parametrize("absent", [None, ...])
def test_optional_members_may_be_null_or_absent(absent: Any) -> None:
    record = _parse(
        _with(
            PreviousContactId=absent,
            Channel=absent,
            InitiationMethod=absent,
            DisconnectReason=absent,
            Queue=absent,
            Agent=absent,
            Attributes=absent,
            TransferredToEndpoint=absent,
        )
    )
    assert record.previous_contact_id is None
    assert (record.channel, record.initiation_method, record.disconnect_reason) == ("", "", "")
    assert record.queue is None
    assert record.agent is None
    assert record.attributes == Attributes()
    assert record.transferred_to_endpoint is False


def test_queue_and_agent_members_may_be_null_inside() -> None:
    raw = _with(
        Queue={"Name": None, "EnqueueTimestamp": None, "DequeueTimestamp": None, "Duration": None},
        Agent={"ConnectedToAgentTimestamp": None},
    )
    record = _parse(raw)
    assert record.queue == QueueSegment(name="", enqueued=None, dequeued=None, duration=None)
    assert record.agent == AgentSegment(connected_at=None, interaction=None, hold=None, acw=None)


def test_initiation_falls_back_to_connected_to_system() -> None:
    record = _parse(_with(InitiationTimestamp=...))
    assert record.initiation == _utc("2025-03-04T09:15:02")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T09:21:05Z", "2025-03-04T09:21:05"),
        ("2025-03-04T09:21:05.250Z", "2025-03-04T09:21:05.250"),
        ("2025-03-04T09:21:05.123456789Z", "2025-03-04T09:21:05.123456"),
        ("2025-03-04T09:21:05+00:00", "2025-03-04T09:21:05"),
        ("2025-03-04T10:21:05+01:00", "2025-03-04T09:21:05"),
    ],
)
def test_timestamps_are_read_as_utc(text: str, expected: str) -> None:
    record = _parse(_with(LastUpdateTimestamp=text))
    assert record.last_update == _utc(expected)
    assert record.last_update.utcoffset() is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(45, 45), (45.4, 45), (45.6, 46), ("45", 45), (" 45.0 ", 45), (0, 0)]
    + [(value, None) for value in (-1, "-3", "abc", "", True, None, "nan", "inf", [45], {"s": 45})],
)
def test_durations_are_whole_seconds_or_missing(raw: Any, expected: int | None) -> None:
    record = _parse(
        _with(
            Queue={**REFERENCE["Queue"], "Duration": raw},  # type: ignore[dict-item]
            Agent={
                "AgentInteractionDuration": raw,
                "CustomerHoldDuration": raw,
                "AfterContactWorkDuration": raw,
            },
        )
    )
    assert record.queue is not None
    assert record.agent is not None
    assert record.queue.duration == expected
    assert (record.agent.interaction, record.agent.hold, record.agent.acw) == (expected, expected, expected)


def test_unreadable_queue_and_agent_times_are_missing_not_fatal() -> None:
    record = _parse(
        _with(
            Queue={"Name": "Billing", "EnqueueTimestamp": "yesterday", "DequeueTimestamp": 1741079815},
            Agent={"ConnectedToAgentTimestamp": "2025-03-04 09:16:55"},
        )
    )
    assert record.queue == QueueSegment(name="Billing", enqueued=None, dequeued=None, duration=None)
    assert record.agent is not None
    assert record.agent.connected_at is None


def test_transferred_to_endpoint_is_only_a_flag() -> None:
    record = _parse(_with(TransferredToEndpoint={"Address": "+13125550199", "Type": "TELEPHONE_NUMBER"}))
    assert record.transferred_to_endpoint is True
    assert "+13125550199" not in repr(record)


def test_attributes_are_codes_and_free_text_is_dropped() -> None:
    record = _parse(
        _with(
            Attributes={
                "tandemOutcome": " self_served ",
                "route": "call me on +1 202 555 0143",
                "intent": "order_status",
                "reasons": "ASKED_FOR_AGENT, vip_customer,,my name is Ana,COMPLAINT,ASKED_FOR_AGENT",
                "queue": "Billing",
                "csat": "5",
            }
        )
    )
    assert record.attributes == Attributes(
        outcome="SELF_SERVED",
        route="",
        intent="ORDER_STATUS",
        reasons=("ASKED_FOR_AGENT", "VIP_CUSTOMER", "COMPLAINT"),
        queue="billing",
        csat=5,
    )


@pytest.mark.parametrize("queue", ["my queue!", "2nd-line", "q" * 33, 7, ""])
def test_a_queue_attribute_that_is_not_a_code_is_dropped(queue: Any) -> None:
    assert _parse(_with(Attributes={"queue": queue})).attributes.queue == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("4", 4), (" 5 ", 5), (3, 3)]
    + [(value, None) for value in ("0", "6", "3.5", "five", "", "44", 4.0, True, None, ["4"])],
)
def test_csat_is_one_to_five_or_none(raw: Any, expected: int | None) -> None:
    assert _parse(_with(Attributes={"csat": raw})).attributes.csat == expected


def _field_names(cls: type) -> set[str]:
    """Every field name of a dataclass and of the dataclasses its fields hold."""
    names: set[str] = set()
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        names.add(item.name)
        for inner in (hints[item.name], *typing.get_args(hints[item.name])):
            if isinstance(inner, type) and dataclasses.is_dataclass(inner):
                names |= _field_names(inner)
    return names


def test_no_personal_data_is_kept() -> None:
    # Given a record carrying the caller's number, the agent's login and a name in the attributes
    raw = _with(ContactDetails={"Name": "Ana Lopez"})
    record = _parse(raw)
    # Then none of them is anywhere in what is kept
    kept = repr(record)
    for personal in (CALLER, "+18005550100", AGENT_LOGIN, "Ana", "1042"):
        assert personal not in kept
    # And no field could hold them: no endpoint, address, username or name of a person
    names = _field_names(ContactRecord)
    assert {"queue", "agent", "attributes", "interaction"} <= names  # the walk reaches nested fields
    assert not names & {"customer_endpoint", "system_endpoint", "address", "username", "first_name"}
    assert not any("endpoint" in name and name != "transferred_to_endpoint" for name in names)
    assert isinstance(record.transferred_to_endpoint, bool)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        ("", "not JSON"),
        ("{'ContactId': 'x'}", "not JSON"),
        ('{"ContactId": "x",', "not JSON"),
        ("[" * 100_000, "nested too deeply"),
        ("[]", "must be a JSON object, got an array"),
        ('"CTR"', "must be a JSON object, got a string"),
        ("null", "must be a JSON object, got null"),
        ("42", "must be a JSON object, got a number"),
        (json.dumps(_with(ContactId=...)), "record has no ContactId"),
        (json.dumps(_with(ContactId=None)), "record has no ContactId"),
        (json.dumps(_with(ContactId="")), "ContactId is not a contact id"),
        (json.dumps(_with(ContactId=12345)), "ContactId is not a contact id: 12345"),
        (json.dumps(_with(ContactId="abc\ndef")), "ContactId is not a contact id"),
        (json.dumps(_with(InitialContactId={"Id": "x"})), "InitialContactId is not a contact id"),
        (json.dumps(_with(PreviousContactId=7)), "PreviousContactId is not a contact id"),
        (json.dumps(_with(LastUpdateTimestamp=...)), "record has no LastUpdateTimestamp"),
        (json.dumps(_with(LastUpdateTimestamp="2025-03-04 09:21:05")), "LastUpdateTimestamp is not"),
        (json.dumps(_with(LastUpdateTimestamp="2025-03-04T09:21:05")), "LastUpdateTimestamp is not"),
        (json.dumps(_with(LastUpdateTimestamp=1741080065)), "LastUpdateTimestamp is not"),
        (json.dumps(_with(InitiationTimestamp="2025-13-04T09:15:01Z")), "InitiationTimestamp is not"),
        (json.dumps(_with(InitiationTimestamp="2025-03-04T09:15:01Z\n")), "InitiationTimestamp is not"),
        (
            json.dumps(_with(InitiationTimestamp=..., ConnectedToSystemTimestamp="4 March")),
            "ConnectedToSystemTimestamp is not",
        ),
        (
            json.dumps(_with(InitiationTimestamp=None, ConnectedToSystemTimestamp=None)),
            "neither InitiationTimestamp nor ConnectedToSystemTimestamp",
        ),
    ],
)
def test_malformed_records_are_refused_with_one_line_reason(data: bytes | str, message: str) -> None:
    with pytest.raises(MalformedRecord) as caught:
        parse_record(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 160
    assert isinstance(caught.value, ValueError)
