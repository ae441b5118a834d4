"""Reading one contact trace record: what is kept, what is forgiven, what is refused."""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.ctr_ingest.contact_record import (
    UNREADABLE_NEXT,
    AgentSegment,
    Attributes,
    ContactRecord,
    MalformedRecord,
    QueueSegment,
    Refusal,
    parse_record,
)
from tests.conftest import shared_fixture

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


FIRST, SECOND = "11111111-2222-3333-4444-555555555555", "22222222-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("ids", "single"),
    [
        ({}, True),  # the reference: its own initial contact, no previous or next
        ({"InitialContactId": FIRST, "ContactId": FIRST}, True),
        ({"NextContactId": SECOND}, False),  # a transfer followed it
        ({"ContactId": SECOND, "InitialContactId": FIRST, "PreviousContactId": FIRST}, False),
        ({"ContactId": SECOND, "InitialContactId": FIRST}, False),  # not the initial segment
    ],
)
def test_a_record_is_its_whole_call_only_without_previous_or_next_segment(
    ids: dict[str, str], single: bool
) -> None:
    record = _parse(_with(**ids))
    assert record.single_segment is single
    assert record.next_contact_id == ids.get("NextContactId")


@pytest.mark.parametrize("odd", ["", "not an id!", [], {}, 7, True])
def test_an_unreadable_next_contact_id_still_says_a_segment_followed(odd: Any) -> None:
    # Counted, not refused (only whether a transfer followed is read), and kept with its segments.
    record = _parse(_with(NextContactId=odd))
    assert record.next_contact_id == UNREADABLE_NEXT
    assert record.single_segment is False


def test_only_a_number_keys_the_caller_for_the_records_whole_life() -> None:
    hash_caller = lambda value: f"h({value})"  # noqa: E731
    by_number = parse_record(json.dumps(REFERENCE), hash_caller)
    assert by_number.caller is not None and by_number.caller_by_number
    chat = parse_record(
        json.dumps(_with(CustomerEndpoint=None, Attributes={"customerId": "CUST-1"})), hash_caller
    )
    assert chat.caller == "h(crm:CUST-1)" and not chat.caller_by_number  # an attribute may change
    assert not parse_record(json.dumps(REFERENCE)).caller_by_number  # no hasher, no caller


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
    ("raw", "expected"), [(45, 45), (45.4, 45), (45.6, 46), (0, 0), (-0.0, 0), (None, None)]
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


def test_who_decided_is_kept_as_ids() -> None:
    record = _parse(
        _with(Attributes={"ruleId": "vip-customer", "variant": " challenger ", "experimentId": "exp-2026-12"})
    )
    attributes = record.attributes
    assert (attributes.rule, attributes.variant, attributes.experiment) == (
        "vip-customer",
        "challenger",
        "exp-2026-12",
    )
    assert _parse(_with(Attributes={})).attributes == Attributes()  # absent: not set


@pytest.mark.parametrize(
    "value", ["call me on +1 202 555 0143", "12025550143", "+12025550143", "a b", "x" * 65, "-x", 7, None, ""]
)
def test_a_decider_id_that_is_not_an_id_is_dropped(value: Any) -> None:
    # Free text, and a number (it could be someone's phone): never kept
    raw = _with(Attributes={"ruleId": value, "variant": value, "experimentId": value})
    attributes = _parse(raw).attributes
    assert (attributes.rule, attributes.variant, attributes.experiment) == ("", "", "")


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


def _refused(data: bytes | str | dict[str, Any]) -> MalformedRecord:
    with pytest.raises(MalformedRecord) as caught:
        parse_record(json.dumps(data) if isinstance(data, dict) else data)
    return caught.value


AGENT = REFERENCE["Agent"]
QUEUE = REFERENCE["Queue"]


def _agent(**changes: Any) -> dict[str, Any]:
    return _with(Agent={**AGENT, **changes})  # type: ignore[dict-item]


def _queue(**changes: Any) -> dict[str, Any]:
    return _with(Queue={**QUEUE, **changes})  # type: ignore[dict-item]


# Every refusal: (data, reason, field). The values are chosen to be recognisable, so that the test
# below can show none of them reaches the message.
REFUSALS: list[tuple[bytes | str | dict[str, Any], Refusal, str]] = [
    (b"\xff\xfe{}", Refusal.NOT_UTF8, "record"),
    ("", Refusal.NOT_JSON, "record"),
    ("{'ContactId': 'x'}", Refusal.NOT_JSON, "record"),
    ('{"ContactId": "x",', Refusal.NOT_JSON, "record"),
    ("[" * 100_000, Refusal.NOT_JSON, "record"),  # nested too deeply
    ('{"ContactId": ' + "1" * 5000 + "}", Refusal.NOT_JSON, "record"),  # beyond int() parsing
    ("[]", Refusal.NOT_AN_OBJECT, "record"),
    ('"+12025550101"', Refusal.NOT_AN_OBJECT, "record"),
    ("null", Refusal.NOT_AN_OBJECT, "record"),
    (_with(ContactId=...), Refusal.CONTACT_ID_MISSING, "ContactId"),
    (_with(ContactId=None), Refusal.CONTACT_ID_MISSING, "ContactId"),
    (_with(ContactId="+12025550101"), Refusal.CONTACT_ID_INVALID, "ContactId"),
    (_with(ContactId=""), Refusal.CONTACT_ID_INVALID, "ContactId"),
    (_with(ContactId=12025550101), Refusal.CONTACT_ID_INVALID, "ContactId"),
    (_with(ContactId="abc\ndef"), Refusal.CONTACT_ID_INVALID, "ContactId"),
    (_with(InitialContactId={"Id": "+12025550101"}), Refusal.CONTACT_ID_INVALID, "InitialContactId"),
    (_with(PreviousContactId="+12025550101"), Refusal.CONTACT_ID_INVALID, "PreviousContactId"),
    (_with(LastUpdateTimestamp=...), Refusal.TIMESTAMP_MISSING, "LastUpdateTimestamp"),
    (
        _with(InitiationTimestamp=None, ConnectedToSystemTimestamp=None),
        Refusal.TIMESTAMP_MISSING,
        "InitiationTimestamp",
    ),
    (_with(LastUpdateTimestamp="2025-03-04 09:21:05"), Refusal.TIMESTAMP_INVALID, "LastUpdateTimestamp"),
    (_with(LastUpdateTimestamp=1741080065), Refusal.TIMESTAMP_INVALID, "LastUpdateTimestamp"),
    (_with(InitiationTimestamp="2025-13-04T09:15:01Z"), Refusal.TIMESTAMP_INVALID, "InitiationTimestamp"),
    (_with(InitiationTimestamp="2025-03-04T09:15:01Z\n"), Refusal.TIMESTAMP_INVALID, "InitiationTimestamp"),
    (_with(ConnectedToSystemTimestamp="4 March"), Refusal.TIMESTAMP_INVALID, "ConnectedToSystemTimestamp"),
    (_with(DisconnectTimestamp="yesterday"), Refusal.TIMESTAMP_INVALID, "DisconnectTimestamp"),
    (_queue(EnqueueTimestamp="yesterday"), Refusal.TIMESTAMP_INVALID, "Queue.EnqueueTimestamp"),
    (_queue(DequeueTimestamp=1741079815), Refusal.TIMESTAMP_INVALID, "Queue.DequeueTimestamp"),
    (
        _agent(ConnectedToAgentTimestamp="2025-03-04 09:16:55"),
        Refusal.TIMESTAMP_INVALID,
        "Agent.ConnectedToAgentTimestamp",
    ),
    # The review's real example: an agent's name where the object belongs
    (_with(Agent="Rachel"), Refusal.AGENT_NOT_OBJECT, "Agent"),
    (_with(Agent=["Rachel"]), Refusal.AGENT_NOT_OBJECT, "Agent"),
    (_with(Agent=145), Refusal.AGENT_NOT_OBJECT, "Agent"),
    (_with(Agent=False), Refusal.AGENT_NOT_OBJECT, "Agent"),
    (_with(Queue="Billing"), Refusal.QUEUE_NOT_OBJECT, "Queue"),
    (_with(Queue=[]), Refusal.QUEUE_NOT_OBJECT, "Queue"),
    (_with(Queue=45), Refusal.QUEUE_NOT_OBJECT, "Queue"),
    (_queue(Duration=-45), Refusal.DURATION_NEGATIVE, "Queue.Duration"),
    (_queue(Duration="45"), Refusal.DURATION_NOT_NUMBER, "Queue.Duration"),
    (_agent(AgentInteractionDuration=-1), Refusal.DURATION_NEGATIVE, "Agent.AgentInteractionDuration"),
    (_agent(CustomerHoldDuration=-0.5), Refusal.DURATION_NEGATIVE, "Agent.CustomerHoldDuration"),
    (_agent(AfterContactWorkDuration=-35), Refusal.DURATION_NEGATIVE, "Agent.AfterContactWorkDuration"),
    (_agent(LongestHoldDuration=-20), Refusal.DURATION_NEGATIVE, "Agent.LongestHoldDuration"),
    (_agent(AgentInteractionDuration="145"), Refusal.DURATION_NOT_NUMBER, "Agent.AgentInteractionDuration"),
    (_agent(CustomerHoldDuration="Rachel"), Refusal.DURATION_NOT_NUMBER, "Agent.CustomerHoldDuration"),
    (_agent(AfterContactWorkDuration=True), Refusal.DURATION_NOT_NUMBER, "Agent.AfterContactWorkDuration"),
    (_agent(AgentInteractionDuration=[145]), Refusal.DURATION_NOT_NUMBER, "Agent.AgentInteractionDuration"),
    (
        _agent(AgentInteractionDuration={"s": 145}),
        Refusal.DURATION_NOT_NUMBER,
        "Agent.AgentInteractionDuration",
    ),
    (
        json.dumps(_agent()).replace('"AgentInteractionDuration": 145', '"AgentInteractionDuration": NaN'),
        Refusal.DURATION_NOT_NUMBER,
        "Agent.AgentInteractionDuration",
    ),
    (
        json.dumps(_queue()).replace('"Duration": 45', '"Duration": -Infinity'),
        Refusal.DURATION_NOT_NUMBER,
        "Queue.Duration",
    ),
    (_agent(AgentInteractionDuration=10**400), Refusal.DURATION_TOO_LARGE, "Agent.AgentInteractionDuration"),
    (_queue(Duration=1e300), Refusal.DURATION_TOO_LARGE, "Queue.Duration"),
    (
        _with(DisconnectTimestamp="2025-03-04T09:15:00Z"),  # a second before InitiationTimestamp
        Refusal.DISCONNECT_BEFORE_INITIATION,
        "DisconnectTimestamp",
    ),
    (
        _with(InitiationTimestamp=..., DisconnectTimestamp="2025-03-04T09:15:01Z"),  # before connecting
        Refusal.DISCONNECT_BEFORE_INITIATION,
        "DisconnectTimestamp",
    ),
]


@pytest.mark.parametrize(("data", "reason", "field"), REFUSALS, ids=lambda v: str(v)[:40])
def test_each_refusal_has_its_code_and_field_in_one_line(
    data: bytes | str | dict[str, Any], reason: Refusal, field: str
) -> None:
    refused = _refused(data)
    assert (refused.reason, refused.field) == (reason, field)
    message = str(refused)
    assert message.startswith(f"{reason}: {field} ")
    assert "\n" not in message
    assert len(message) < 100
    assert isinstance(refused, ValueError)


def test_every_code_is_reached_by_some_record() -> None:
    assert {reason for _, reason, _ in REFUSALS} == set(Refusal)


def test_a_refusal_never_echoes_the_offending_value() -> None:
    # Given values that are personal data or look like it, each where a field should be
    for data, _, _ in REFUSALS:
        message = str(_refused(data))
        # Then the message is the code, the field's name and a fixed phrase: none of them
        for value in ("+12025550101", "12025550101", "Rachel", "Billing", "yesterday", "4 March", "145"):
            assert value not in message, message
    # And every message is one of the fixed phrases: nothing read from the record is in it
    fixed = {str(MalformedRecord(reason, field)) for _, reason, field in REFUSALS}
    assert {str(_refused(data)) for data, _, _ in REFUSALS} == fixed


def test_the_refused_records_contact_id_is_kept_only_when_well_formed() -> None:
    # Given a well-formed ContactId and an agent's name for the Agent / Then the id is known
    assert _refused(_with(Agent="Rachel")).contact_id == REFERENCE["ContactId"]
    # Given a phone number for the ContactId / Then no id is known, and the number is nowhere
    refused = _refused(_with(ContactId="+12025550101"))
    assert refused.contact_id is None
    assert "+12025550101" not in repr(refused) + str(refused.args)


@pytest.mark.parametrize("nothing", [None, ...])
def test_null_or_absent_agent_and_queue_are_a_contact_without_them(nothing: Any) -> None:
    # Connect writes null for a contact that never queued or reached an agent
    record = _parse(_with(Agent=nothing, Queue=nothing))
    assert (record.agent, record.queue) == (None, None)
    # And empty members are objects all the same
    assert _parse(_with(Agent={}, Queue={})).agent == AgentSegment(None, None, None, None)


def test_a_disconnect_at_the_initiation_or_after_it_is_fine() -> None:
    assert _parse(_with(DisconnectTimestamp="2025-03-04T09:15:01Z")).contact_id
    assert _parse(_with(DisconnectTimestamp=None)).contact_id
    assert _parse(_with(DisconnectTimestamp=...)).contact_id


@pytest.mark.parametrize(
    "fixture",
    [
        "events/powertools__connectContactFlowEventMin.json",
        "events/powertools__connectContactFlowEventAll.json",
    ],
)
def test_members_as_connect_writes_them_are_not_refused(fixture: str) -> None:
    """The contact's members exactly as Connect wrote them in a real event (`Queue` null, or an
    object with only ARN and Name; endpoints null or objects), in a record with the CTR's times."""
    contact = json.loads(shared_fixture(fixture).read_text(encoding="utf-8"))["Details"]["ContactData"]
    raw = {
        **contact,
        "InitiationTimestamp": "2025-03-04T09:15:01Z",
        "DisconnectTimestamp": "2025-03-04T09:19:20Z",
        "LastUpdateTimestamp": "2025-03-04T09:21:05Z",
        "Agent": None,
    }
    record = _parse(raw)
    assert record.contact_id == contact["ContactId"]
    assert (record.queue is None) == (contact["Queue"] is None)
