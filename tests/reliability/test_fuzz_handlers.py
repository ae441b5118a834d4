"""Every Connect-facing handler, fed generated events: always a valid flow answer, never an exception.

Events are built from valid ones (tests/events, Powertools' samples in ../shared when present) and
mutated: members dropped or nulled, values replaced by numbers, booleans, lists, nested objects and
garbage strings, unknown channels and initiation methods, huge unicode attribute maps, and events
that are not objects at all. For every event, each handler must:

- answer (`box.invoke` re-raises anything the handler raises) a flat string map under 32 KB with a
  valid `status` (`assert_flow_contract`);
- answer INVALID_INPUT when the event is not a contact-flow event at all;
- reach that answer through its own logic, not through the catch-all for unexpected errors (no
  "handler failed" log line): a malformed member is something to read around, not a crash;
- with no fault injected, never answer DEGRADED and always write its record (`interactionRecorded`,
  `handoffRecorded`), unless DynamoDB could not hold the contact's keys at all (`storable`);
- never echo the caller's phone number (crm_lookup, whose job is reading it, included).

One sandbox per test function (`box`), shared by its examples: a handler must cope with whatever
state earlier examples left behind, as a warm Lambda container does.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.shared.event import parse_contact_event
from tandem.local import Sandbox
from tests.conftest import OWN_EVENTS, SHARED_FIXTURES, assert_flow_contract

HANDLERS = ("crm_lookup", "ivr_decision", "escalation", "survey")
CALLER = "+12025550101"  # a seeded customer (voice_known_gold.json): a lookup finds her
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- valid events to start from ----------------------------------------------------------------------


def _bases() -> list[dict[str, Any]]:
    events = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(OWN_EVENTS.glob("*.json"))]
    shared = SHARED_FIXTURES / "events"
    if shared.is_dir():  # Powertools' sample events, when ../shared is checked out
        events += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(shared.glob("*.json"))]
    handoff = copy.deepcopy(events[0])
    handoff["Details"]["Parameters"] = {
        "route": "AGENT",
        "reasons": "VIP_CUSTOMER,COMPLAINT",
        "queue": "priority",
        "priorityChange": "2",
        "intent": "COMPLAINT",
        "sentiment": "NEGATIVE",
        "failedAttempts": "1",
        "agentsAvailable": "0",
        "agentsStaffed": "4",
        "contactsInQueue": "30",
        "oldestContactAgeSeconds": "900",
    }
    handoff["Details"]["ContactData"]["Attributes"] = {
        "customerFound": "true",
        "customerId": "C1001",
        "firstName": "Chloé",
        "tier": "vip",
        "openComplaints": "1",
        "callerType": "PHONE",
    }
    claim = copy.deepcopy(handoff)
    claim["Details"]["Parameters"] = {"operation": "claimCallback"}
    survey = copy.deepcopy(handoff)
    survey["Details"]["Parameters"] = {"step": "record-survey", "csat": "4", "route": "AGENT"}
    return [*events, handoff, claim, survey]


BASES = _bases()
HANDOFF = BASES[-3]  # what escalation gets after crm_lookup and ivr_decision: every signal set

# --- values ------------------------------------------------------------------------------------------

# Strings that have broken parsers before: numbers in every spelling, control and format characters,
# right-to-left text, emoji, lone surrogates, and what Connect sends when a reference resolves to nothing.
NASTY = [
    "", " ", "\x00", "\t\n", "null", "None", "undefined", "$.Attributes.x", "nan", "NaN", "inf", "-inf",
    "1e309", "-1", "-0", "0", "3.5", "1_000", "0x10", "٣", "\uff11\uff12", "¹", "true", "TRUE", "yes",
    "1", "5", "6",
    "claimCallback", "CLAIMCALLBACK", "AGENT", "SELF_SERVICE", "vip", "VIP", "gold", "PHONE", "COMPLAINT",
    ",,,", "A," * 300, "VIP_CUSTOMER,,ß,ǅ", "\u202eevil", "مرحبا بك", "שלום", "😀" * 20, "👩\u200d👩\u200d👧",
    "\ud800", "a\x00b", "\u2028", "x" * 5000, "é" * 3000, "<speak>hi</speak>", '"; DROP TABLE', "%s%n",
    CALLER, "2025550101", "+1 (202) 555-0101", "00442071838750", "+266696687", "anonymous",
    "ana@example.com", "+999999999999999999999", "+", "()", "--", "١٢٣٤٥٦٧٨٩٠",
]  # fmt: skip

garbage_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.text(max_size=3000).map(str.upper))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),  # a longer integer is no longer valid JSON input
    st.floats(allow_nan=True, allow_infinity=True),
    garbage_text,
)
wild = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

# Every name a handler reads from the parameters or the attributes.
KNOWN_NAMES = [
    "step", "callerNumber", "csat", "operation", "route", "queue", "intent", "reasons", "priorityChange",
    "sentiment", "asksForAgent", "failedAttempts", "tier", "customerFound", "customerId", "firstName",
    "recentContacts72h", "openComplaints", "lastCsat", "callerType", "latestOrderId", "latestOrderStatus",
    "latestOrderEta", "language", "crmStatus", "intentConfidence", "menuChoice", "transcript", "hoursOpen",
    "agentsAvailable", "agentsStaffed", "contactsInQueue", "oldestContactAgeSeconds", "estimatedWaitSeconds",
]  # fmt: skip
names = st.one_of(st.sampled_from(KNOWN_NAMES), st.text(max_size=20))
flow_maps = st.dictionaries(names, wild, max_size=12)

CHANNELS = [
    "VOICE", "CHAT", "TASK", "EMAIL", "voice", "Chat", "SMS", "WHATSAPP", "\uff36\uff2f\uff29\uff23\uff25",
    "VOICE ", "",
]  # fmt: skip
METHODS = [
    "INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT", "MONITOR",
    "EXTERNAL_OUTBOUND", "WEBRTC_API", "AGENT_REPLY", "FLOW", "CAMPAIGN_PREVIEW", "inbound", "",
]  # fmt: skip
phone_like = st.one_of(
    st.from_regex(r"\A[+0-9 ()\-./\u0660-\u0669]{0,25}\Z"), garbage_text, st.integers(), st.none()
)

CONTACT = ("Details", "ContactData")
STRUCTURE = [("Details",), CONTACT]  # without these it is no contact-flow event at all: INVALID_INPUT
MEMBERS = [
    ("Name",), ("Details", "Parameters"),
    *[(*CONTACT, name) for name in (
        "Attributes", "Channel", "ContactId", "InitialContactId", "PreviousContactId", "InitiationMethod",
        "InstanceARN", "LanguageCode", "CustomerEndpoint", "SystemEndpoint", "Queue", "MediaStreams",
    )],
    (*CONTACT, "CustomerEndpoint", "Address"), (*CONTACT, "CustomerEndpoint", "Type"),
    (*CONTACT, "SystemEndpoint", "Address"), (*CONTACT, "Queue", "Name"),
]  # fmt: skip


def huge_map(count: int, value: str, length: int) -> dict[str, str]:
    """Hundreds of keys, the flow's own names among them, each a long unicode value."""
    text = (value or "é") * (length // max(len(value), 1) + 1)
    keys = [*KNOWN_NAMES, *(f"attr{i}_ß_😀_{'x' * (i % 40)}" for i in range(count))]
    return {key: text[: length + i % 7] for i, key in enumerate(keys)}


huge_maps = st.builds(
    huge_map,
    count=st.integers(min_value=100, max_value=600),
    value=st.sampled_from(["😀", "مرحبا", "\u202e", "a\x00", "ß", "9", "+12025550101,", "A_B,"]),
    length=st.integers(min_value=1, max_value=2000),
)

PARAMETERS, ATTRIBUTES = ("Details", "Parameters"), (*CONTACT, "Attributes")


def setting(path: tuple[str, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(st.just("set"), st.just(path), values)


mutations = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("set"), st.sampled_from(MEMBERS), wild),
    setting((*CONTACT, "Channel"), st.sampled_from(CHANNELS) | garbage_text),
    setting((*CONTACT, "InitiationMethod"), st.sampled_from(METHODS) | garbage_text),
    setting((*CONTACT, "CustomerEndpoint", "Address"), phone_like),
    setting((*PARAMETERS, "callerNumber"), phone_like),
    st.tuples(st.just("merge"), st.sampled_from([PARAMETERS, ATTRIBUTES]), flow_maps),
    st.tuples(st.just("merge"), st.sampled_from([PARAMETERS, ATTRIBUTES]), huge_maps),
)


def mutate(event: dict[str, Any], steps: list[tuple[Any, ...]]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    for kind, path, *value in steps:
        parent: Any = event
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue  # an earlier step removed or replaced what this one would change
        if kind == "drop":
            parent.pop(path[-1], None)
        elif kind == "set":
            parent[path[-1]] = value[0]
        elif isinstance(parent.get(path[-1]), dict):
            parent[path[-1]].update(value[0])
        else:
            parent[path[-1]] = dict(value[0])
    return event


not_events = st.one_of(
    scalars,
    st.lists(wild, max_size=3),
    st.sampled_from(
        [{}, {"Details": None}, {"Details": []}, {"Details": {"ContactData": "x"}}, {"Details": {}}]
    ),
    st.dictionaries(st.text(max_size=10), wild, max_size=4),
)
mutated = st.builds(mutate, st.sampled_from(BASES), st.lists(mutations, min_size=1, max_size=6))
broken = st.builds(  # a valid event with Details or ContactData removed or of another type
    mutate,
    st.sampled_from(BASES),
    st.lists(st.tuples(st.just("set"), st.sampled_from(STRUCTURE), wild), min_size=1, max_size=1),
)
# Mostly contact-flow events, so that most examples reach the handlers' logic.
events = st.integers(min_value=0, max_value=9).flatmap(
    lambda n: not_events if n == 9 else broken if n == 8 else mutated
)


# --- the properties ----------------------------------------------------------------------------------


def is_contact_flow_event(event: Any) -> bool:
    details = event.get("Details") if isinstance(event, dict) else None
    return isinstance(details, dict) and isinstance(details.get("ContactData"), dict)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text, flags=re.ASCII)


def check(box: Sandbox, handler: str, event: Any) -> dict[str, str]:
    response = box.invoke(handler, event)  # re-raises whatever the handler raised
    assert_flow_contract(response)
    if not is_contact_flow_event(event):
        assert response["status"] == "INVALID_INPUT", response
    # The catch-all turns a crash into DEGRADED; a malformed event must be read around, never crash it.
    failures = [line for line in box.last.log_lines if line.get("message") == "handler failed"]
    assert not failures, f"{handler} crashed on the event and fell back: {failures}"
    if storable(event):  # no fault is injected: whatever the values, the write goes through
        assert response["status"] != "DEGRADED", (response, box.last.log_lines)
        assert response.get("interactionRecorded", "true") == "true", box.last.log_lines
        assert response.get("handoffRecorded", "true") == "true", box.last.log_lines
    # The caller's number is never echoed, unless the event also carries it as some other value
    # (escalation passes crm_lookup's customerId and firstName on to the agent's screen as given).
    elsewhere = json.dumps(_without_endpoints(event), ensure_ascii=False, default=str)
    if digits(CALLER) not in digits(elsewhere) or handler == "crm_lookup":
        for key, value in response.items():
            assert CALLER not in value and digits(CALLER) not in digits(value), (handler, key)
    return response


def storable(event: Any) -> bool:
    """Whether DynamoDB can hold this contact's items at all: keys within its size limits, and no
    lone surrogate (JSON's "\\ud800" escape), which no UTF-8 request can carry."""
    if not is_contact_flow_event(event):
        return False
    try:
        json.dumps(event, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        return False
    contact = parse_contact_event(event)
    return all(len(text.encode("utf-8")) < 900 for text in (contact.contact_id, contact.correlation_id))


def _without_endpoints(event: Any) -> Any:
    """The event minus where the caller's number belongs (crm_lookup reads callerNumber too)."""
    if not is_contact_flow_event(event):
        return event
    event = copy.deepcopy(event)
    event["Details"]["ContactData"].pop("CustomerEndpoint", None)
    if isinstance(event["Details"].get("Parameters"), dict):
        event["Details"]["Parameters"].pop("callerNumber", None)
    return event


@pytest.mark.parametrize("handler", HANDLERS)
def test_the_valid_events_are_answered_without_degrading(box: Sandbox, handler: str) -> None:
    """The bases are valid: whatever the mutations find, they find it in otherwise good events."""
    for event in BASES:
        assert check(box, handler, event)["status"] in {"OK", "NOT_FOUND", "INVALID_INPUT"}


@pytest.mark.parametrize("handler", HANDLERS)
@FUZZ
@given(event=events)
def test_any_event_gets_a_flat_answer_with_a_valid_status(box: Sandbox, handler: str, event: Any) -> None:
    check(box, handler, event)


@FUZZ
@given(
    base=st.sampled_from(BASES),
    parameters=st.dictionaries(st.sampled_from(KNOWN_NAMES), wild, max_size=len(KNOWN_NAMES)),
    attributes=st.dictionaries(st.sampled_from(KNOWN_NAMES), wild, max_size=len(KNOWN_NAMES)),
)
def test_every_signal_any_type_every_handler(
    box: Sandbox, base: dict[str, Any], parameters: dict[str, Any], attributes: dict[str, Any]
) -> None:
    """The names the handlers read, each given numbers as numbers, nested objects, nulls or garbage."""
    event = mutate(
        base, [("set", ("Details", "Parameters"), parameters), ("set", (*CONTACT, "Attributes"), attributes)]
    )
    for handler in HANDLERS:
        check(box, handler, event)


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_huge_unicode_event_still_fits_the_32_kb_answer(box: Sandbox, handler: str) -> None:
    for value in ("😀", "مرحبا", "a\x00", "+12025550101,"):
        flood = huge_map(600, value, 2000)
        event = mutate(
            HANDOFF,
            [("merge", ("Details", "Parameters"), flood), ("merge", (*CONTACT, "Attributes"), flood)],
        )
        check(box, handler, event)


@pytest.mark.parametrize(
    ("handler", "parameters"),
    [
        ("ivr_decision", {"failedAttempts": "1e-300"}),
        ("ivr_decision", {"estimatedWaitSeconds": 1e-200}),
        ("escalation", {"estimatedWaitSeconds": "2.2250738585072014e-308"}),
        ("escalation", {"contactsInQueue": "1e200"}),
        ("escalation", {"oldestContactAgeSeconds": 1e130}),
    ],
)
def test_numbers_beyond_dynamodb_range_still_leave_the_record(
    box: Sandbox, handler: str, parameters: dict[str, Any]
) -> None:
    """Found by the fuzzing above: DynamoDB refuses numbers below 1e-130 or from 1e126, item and all."""
    event = mutate(BASES[0], [("set", ("Details", "Parameters"), parameters)])
    response = check(box, handler, event)
    assert response["status"] == "OK"
    assert "true" in {response.get("interactionRecorded"), response.get("handoffRecorded")}
