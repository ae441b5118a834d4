"""Building the decision context from what a flow passes: defaults, bad values, intents, hours, zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ivr_decision.decide import decide
from lambdas.ivr_decision.signals import intent_code
from lambdas.policy.facts import DECISION_FACTS, FactType, Route
from tests.unit.ivr_support import (
    CHRISTMAS,
    OPEN_WEEKDAY,
    SATURDAY_EVENING,
    calendar_with,
    contact_event,
    context_for,
    defaults,
)

DOCUMENTS = defaults()
RULES = DOCUMENTS.rules


# --- defaults -------------------------------------------------------------------------------------


def test_every_catalogue_fact_is_in_the_context_and_nothing_else() -> None:
    """Given a flow that passes nothing, When the context is built, Then it has exactly the catalogue."""
    context = context_for(contact_event({}))
    assert set(context.facts) == set(DECISION_FACTS)
    assert context.problems == []


def test_defaults_when_the_flow_passes_nothing() -> None:
    facts = context_for(contact_event({})).facts
    assert facts == {
        "intent": "UNKNOWN",
        "intentSource": "NONE",
        "confidence": 0.0,
        "asksForAgent": False,
        "sentiment": "UNKNOWN",
        "failedAttempts": 0.0,
        "customerFound": False,
        "crmDegraded": False,
        "tier": "standard",
        "recentContacts72h": 0.0,
        "openComplaints": 0.0,
        "hasOpenOrder": False,
        "latestOrderStatus": "",
        "channel": "VOICE",
        "language": "en",
        "callerType": "PHONE",
        "callbackPossible": True,
        "agentsAvailable": None,
        "contactsInQueue": None,
        "oldestContactAgeSeconds": None,
        "estimatedWaitSeconds": None,
        "queueMetricsKnown": False,
        "hours": "OPEN",
        "isOpen": True,
    }


def test_every_fact_has_the_type_the_catalogue_declares() -> None:
    facts = context_for(contact_event({"intent": "COMPLAINT", "estimatedWaitSeconds": "60"})).facts
    for name, fact in DECISION_FACTS.items():
        value = facts[name]
        if value is None:
            assert fact.nullable, name
        elif fact.type is FactType.FLAG:
            assert isinstance(value, bool), name
        elif fact.type is FactType.NUMBER:
            assert isinstance(value, float) and not isinstance(value, bool), name
        else:
            assert isinstance(value, str), name
            assert fact.values is None or value in fact.values, name


def test_values_may_come_from_contact_attributes() -> None:
    """Given the CRM answer stored as contact attributes, Then they count like block parameters."""
    event = contact_event({"intent": "COMPLAINT"}, attributes={"tier": "vip", "recentContacts72h": "3"})
    facts = context_for(event).facts
    assert facts["tier"] == "vip"
    assert facts["recentContacts72h"] == 3.0


def test_a_block_parameter_wins_over_an_attribute() -> None:
    event = contact_event({"tier": "gold"}, attributes={"tier": "vip"})
    assert context_for(event).facts["tier"] == "gold"


def test_this_turns_input_is_never_read_from_attributes() -> None:
    """Given intent, key, words and sentiment kept as attributes from an earlier turn, and none passed,
    Then the decision sees no input on this turn (a kept intent must not pass for a new one)."""
    kept = {
        "intent": "CheckOrderStatus",
        "intentConfidence": "0.95",
        "menuChoice": "1",
        "transcript": "let me talk to someone",
        "sentiment": "NEGATIVE",
        "tier": "gold",
    }
    facts = context_for(contact_event({}, attributes=kept)).facts
    assert (facts["intent"], facts["intentSource"], facts["confidence"]) == ("UNKNOWN", "NONE", 0.0)
    assert facts["asksForAgent"] is False
    assert facts["sentiment"] == "UNKNOWN"
    assert facts["tier"] == "gold"  # customer facts still come from attributes


def test_this_turns_key_is_read_from_parameters_over_a_kept_intent() -> None:
    event = contact_event({"menuChoice": "2"}, attributes={"intent": "Complaint", "sentiment": "NEGATIVE"})
    facts = context_for(event).facts
    assert (facts["intent"], facts["intentSource"]) == ("RETURN_POLICY", "DTMF")
    assert facts["sentiment"] == "UNKNOWN"


# --- malformed values ------------------------------------------------------------------------------

MALFORMED = [
    ("failedAttempts", "abc", "failedAttempts", 0.0),
    ("failedAttempts", "-3", "failedAttempts", 0.0),
    ("failedAttempts", "nan", "failedAttempts", 0.0),
    ("failedAttempts", "inf", "failedAttempts", 0.0),
    ("failedAttempts", "1e400", "failedAttempts", 0.0),
    ("recentContacts72h", "two", "recentContacts72h", 0.0),
    ("openComplaints", "-1", "openComplaints", 0.0),
    ("estimatedWaitSeconds", "soon", "estimatedWaitSeconds", None),
    ("agentsAvailable", "-2", "agentsAvailable", None),
    ("contactsInQueue", "NaN", "contactsInQueue", None),
    ("sentiment", "ANGRY", "sentiment", "UNKNOWN"),
    ("tier", "platinum", "tier", "standard"),
    ("customerFound", "perhaps", "customerFound", False),
]


@pytest.mark.parametrize(("name", "raw", "fact", "default"), MALFORMED)
def test_a_malformed_value_falls_back_to_its_default_and_is_named(
    name: str, raw: str, fact: str, default: object
) -> None:
    """Given one malformed parameter, When the context is built, Then no error, the default, and its name."""
    context = context_for(contact_event({name: raw}))
    assert context.facts[fact] == default
    assert context.problems == [name]


def test_confidence_above_one_is_malformed() -> None:
    """Given a percentage ("87") where a 0..1 score belongs, Then confidence 0 and the problem is named."""
    context = context_for(contact_event({"intent": "ORDER_STATUS", "intentConfidence": "87"}))
    assert context.facts["confidence"] == 0.0
    assert context.facts["intent"] == "ORDER_STATUS"
    assert context.problems == ["intentConfidence"]


def test_a_bad_hours_flag_is_ignored_and_the_calendar_decides() -> None:
    context = context_for(contact_event({"hoursOpen": "maybe"}), SATURDAY_EVENING)
    assert context.facts["hours"] == "AFTER_HOURS"
    assert context.problems == ["hoursOpen"]


def test_an_unknown_caller_type_is_named_and_inferred_from_the_endpoint() -> None:
    context = context_for(contact_event({"callerType": "ALIEN"}))
    assert context.facts["callerType"] == "PHONE"
    assert context.problems == ["callerType"]


def test_several_malformed_values_are_all_named() -> None:
    context = context_for(contact_event({"failedAttempts": "x", "tier": "Platinum", "sentiment": "meh"}))
    assert sorted(context.problems) == ["failedAttempts", "sentiment", "tier"]


def test_numbers_are_capped_and_case_is_forgiven() -> None:
    facts = context_for(
        contact_event(
            {"recentContacts72h": "1e9", "tier": "VIP", "sentiment": "negative", "crmStatus": "degraded"}
        )
    ).facts
    assert facts["recentContacts72h"] == 1_000_000.0
    assert facts["tier"] == "vip"
    assert facts["sentiment"] == "NEGATIVE"
    assert facts["crmDegraded"] is True


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("yes", True), ("1", True), ("FALSE", False),
                                               ("no", False), ("0", False)])  # fmt: skip
def test_flags_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    assert context_for(contact_event({"customerFound": raw})).facts["customerFound"] is expected


def test_customer_found_defaults_to_having_a_customer_id() -> None:
    assert context_for(contact_event({"customerId": "C1"})).facts["customerFound"] is True
    assert context_for(contact_event({"customerId": ""})).facts["customerFound"] is False


def test_queue_metrics_known_when_any_one_is_passed() -> None:
    facts = context_for(contact_event({"contactsInQueue": "0"})).facts
    assert facts["contactsInQueue"] == 0.0
    assert facts["queueMetricsKnown"] is True


# --- intents --------------------------------------------------------------------------------------

INTENT_NAMES = [
    ("ORDER_STATUS", "ORDER_STATUS"),
    ("OrderStatus", "ORDER_STATUS"),
    ("orderStatus", "ORDER_STATUS"),
    ("CheckOrderStatus", "ORDER_STATUS"),  # alias
    ("where is my order", "ORDER_STATUS"),  # alias after normalisation
    ("Returns", "RETURN_POLICY"),
    ("StoreHours", "OPENING_HOURS"),
    ("TalkToAgent", "AGENT_REQUEST"),
    ("  complaint ", "COMPLAINT"),
    ("Cancel-Order", "CANCEL_ORDER"),
    ("ChangeAddress2", "OTHER"),
    ("FallbackIntent", "UNKNOWN"),
    ("BookFlight", "OTHER"),
    ("???", "OTHER"),
]


@pytest.mark.parametrize(("name", "expected"), INTENT_NAMES)
def test_lex_intent_names_are_normalised(name: str, expected: str) -> None:
    assert intent_code(name, RULES) == expected


def test_a_lex_intent_carries_its_confidence_and_source() -> None:
    facts = context_for(contact_event({"intent": "CheckOrderStatus", "intentConfidence": "0.87"})).facts
    assert (facts["intent"], facts["intentSource"], facts["confidence"]) == ("ORDER_STATUS", "LEX", 0.87)


def test_no_intent_is_unknown_from_nowhere() -> None:
    facts = context_for(contact_event({"intentConfidence": "0.9"})).facts
    assert (facts["intent"], facts["intentSource"], facts["confidence"]) == ("UNKNOWN", "NONE", 0.0)


def test_the_agent_request_intent_counts_as_asking_for_a_person() -> None:
    facts = context_for(contact_event({"intent": "SpeakToAgent", "intentConfidence": "0.4"})).facts
    assert facts["asksForAgent"] is True


@pytest.mark.parametrize(
    ("digit", "intent"),
    [("1", "ORDER_STATUS"), ("2", "RETURN_POLICY"), ("3", "OPENING_HOURS"), ("4", "BILLING_DISPUTE"),
     ("5", "COMPLAINT"), ("6", "CANCEL_ORDER"), ("0", "AGENT_REQUEST")],
)  # fmt: skip
def test_dtmf_keys_map_through_the_menu_with_full_confidence(digit: str, intent: str) -> None:
    context = context_for(contact_event({"menuChoice": digit}))
    assert (context.facts["intent"], context.facts["intentSource"], context.facts["confidence"]) == (
        intent,
        "DTMF",
        1.0,
    )
    assert context.facts["asksForAgent"] is (intent == "AGENT_REQUEST")
    assert context.problems == []


@pytest.mark.parametrize("digit", ["9", "#", "*", "12"])
def test_a_key_outside_the_menu_is_unknown_and_named(digit: str) -> None:
    context = context_for(contact_event({"menuChoice": digit}))
    assert (context.facts["intent"], context.facts["intentSource"], context.facts["confidence"]) == (
        "UNKNOWN",
        "DTMF",
        0.0,
    )
    assert context.problems == ["menuChoice"]


def test_a_lex_intent_wins_over_a_menu_key() -> None:
    facts = context_for(
        contact_event({"intent": "COMPLAINT", "intentConfidence": "0.7", "menuChoice": "1"})
    ).facts
    assert (facts["intent"], facts["intentSource"]) == ("COMPLAINT", "LEX")


# --- caller, channel, language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "endpoint_type", "caller_type"),
    [
        ("+12025550101", "TELEPHONE_NUMBER", "PHONE"),
        ("anonymous", "TELEPHONE_NUMBER", "WITHHELD"),
        ("Restricted", "TELEPHONE_NUMBER", "WITHHELD"),
        ("", "TELEPHONE_NUMBER", "WITHHELD"),
        ("12", "TELEPHONE_NUMBER", "INVALID"),
        ("+1202555x101", "TELEPHONE_NUMBER", "INVALID"),
        ("sip:ana@example.com", "VOIP", "NON_PHONE"),
        (None, "TELEPHONE_NUMBER", "UNKNOWN"),
    ],
)
def test_caller_type_is_inferred_from_the_endpoint(
    address: str | None, endpoint_type: str, caller_type: str
) -> None:
    facts = context_for(contact_event({}, address=address, endpoint_type=endpoint_type)).facts
    assert facts["callerType"] == caller_type
    assert facts["callbackPossible"] is (caller_type == "PHONE")


def test_the_crm_caller_type_wins_over_the_endpoint() -> None:
    facts = context_for(contact_event({"callerType": "withheld"})).facts
    assert facts["callerType"] == "WITHHELD"
    assert facts["callbackPossible"] is False


def test_a_chat_from_a_phone_number_cannot_be_called_back() -> None:
    facts = context_for(contact_event({}, channel="CHAT")).facts
    assert facts["channel"] == "CHAT"
    assert facts["callerType"] == "PHONE"
    assert facts["callbackPossible"] is False


def test_an_unknown_channel_is_unknown() -> None:
    assert context_for(contact_event({}, channel="CARRIER_PIGEON")).facts["channel"] == "UNKNOWN"


@pytest.mark.parametrize(
    ("language_code", "crm_language", "expected"),
    [
        ("vi-VN", "en-US", "vi"),  # the voice the flow speaks wins over the CRM's preference
        ("en-US", "vi", "en"),
        ("", "vi-VN", "vi"),
        ("", "", ""),
        ("", "12", ""),
    ],
)
def test_language_choice(language_code: str, crm_language: str, expected: str) -> None:
    event = contact_event({"language": crm_language}, language_code=language_code)
    assert context_for(event).facts["language"] == expected


# --- hours ----------------------------------------------------------------------------------------


def test_hours_open_overrides_the_weekly_hours_both_ways() -> None:
    assert context_for(contact_event({"hoursOpen": "true"}), SATURDAY_EVENING).facts["hours"] == "OPEN"
    assert context_for(contact_event({"hoursOpen": "false"}), OPEN_WEEKDAY).facts["hours"] == "AFTER_HOURS"


def test_hours_open_never_overrides_a_holiday() -> None:
    context = context_for(contact_event({"hoursOpen": "true"}), CHRISTMAS)
    assert context.facts["hours"] == "HOLIDAY"
    assert context.facts["isOpen"] is False
    assert context.closure is not None and context.closure.id == "christmas"


def test_an_emergency_beats_a_holiday_on_the_same_day() -> None:
    calendar = calendar_with(
        {"id": "flood", "type": "EMERGENCY", "date": "2026-12-25", "name": "the flood"},
    )
    context = context_for(contact_event({}), CHRISTMAS, calendar=calendar)
    assert context.facts["hours"] == "EMERGENCY"
    assert context.closure is not None and context.closure.id == "flood"


@pytest.mark.parametrize(
    ("moment", "hours"),
    [
        # Friday 2026-10-30: New York on EDT (UTC-4)
        (datetime(2026, 10, 30, 21, 59, tzinfo=UTC), "OPEN"),  # 17:59 local
        (datetime(2026, 10, 30, 22, 0, tzinfo=UTC), "AFTER_HOURS"),  # 18:00 local
        (datetime(2026, 10, 30, 22, 30, tzinfo=UTC), "AFTER_HOURS"),  # 18:30 local
        # Monday 2026-11-02, after the change on 2026-11-01: EST (UTC-5)
        (datetime(2026, 11, 2, 22, 30, tzinfo=UTC), "OPEN"),  # 17:30 local: same UTC time, other answer
        (datetime(2026, 11, 2, 22, 59, tzinfo=UTC), "OPEN"),  # 17:59 local
        (datetime(2026, 11, 2, 23, 0, tzinfo=UTC), "AFTER_HOURS"),  # 18:00 local
        (datetime(2026, 11, 2, 12, 59, tzinfo=UTC), "AFTER_HOURS"),  # 07:59 local
        (datetime(2026, 11, 2, 13, 0, tzinfo=UTC), "OPEN"),  # 08:00 local
        # Christmas is the local day: 03:00 UTC on the 26th is 22:00 on the 25th in New York
        (datetime(2026, 12, 26, 3, 0, tzinfo=UTC), "HOLIDAY"),
        (datetime(2026, 12, 25, 3, 0, tzinfo=UTC), "AFTER_HOURS"),  # Thursday 24th, 22:00 local
        # Saturday: 09:00-13:00
        (datetime(2026, 11, 28, 17, 59, tzinfo=UTC), "OPEN"),  # 12:59 local
        (datetime(2026, 11, 28, 18, 0, tzinfo=UTC), "AFTER_HOURS"),  # 13:00 local
        # Sunday: closed all day
        (datetime(2026, 11, 29, 16, 0, tzinfo=UTC), "AFTER_HOURS"),
    ],
)
def test_hours_are_read_in_the_centres_time_zone(moment: datetime, hours: str) -> None:
    assert context_for(contact_event({}), moment).facts["hours"] == hours


def test_the_calendars_own_time_zone_wins_over_the_instance_zone() -> None:
    """Given a calendar in Asia/Ho_Chi_Minh (UTC+7), Then 15:00 UTC Monday is 22:00 there: after hours."""
    calendar = calendar_with(timeZone="Asia/Ho_Chi_Minh")
    assert context_for(contact_event({}), OPEN_WEEKDAY, calendar=calendar).facts["hours"] == "AFTER_HOURS"
    assert context_for(contact_event({}), OPEN_WEEKDAY).facts["hours"] == "OPEN"


def test_an_emergency_closure_covers_start_to_end_local_time() -> None:
    calendar = calendar_with(
        {
            "id": "outage",
            "type": "EMERGENCY",
            "start": "2026-11-23T09:00",
            "end": "2026-11-23T17:00",
            "name": "x",
        }
    )
    before = datetime(2026, 11, 23, 13, 59, tzinfo=UTC)  # 08:59 local
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 local
    end = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 17:00 local: open again until 18:00
    assert context_for(contact_event({}), before, calendar=calendar).facts["hours"] == "OPEN"
    assert context_for(contact_event({}), start, calendar=calendar).facts["hours"] == "EMERGENCY"
    assert context_for(contact_event({}), end, calendar=calendar).facts["hours"] == "OPEN"


# --- orders ---------------------------------------------------------------------------------------


def test_the_order_status_is_normalised_to_a_code() -> None:
    context = context_for(
        contact_event(
            {"latestOrderId": "1042", "latestOrderStatus": "out for delivery", "latestOrderEta": ""}
        )
    )
    assert context.facts["hasOpenOrder"] is True
    assert context.facts["latestOrderStatus"] == "OUT_FOR_DELIVERY"
    assert context.order is not None and context.order.order_id == "1042"


def test_a_status_without_an_order_id_is_no_order() -> None:
    context = context_for(contact_event({"latestOrderStatus": "DELAYED"}))
    assert context.facts["hasOpenOrder"] is False
    assert context.facts["latestOrderStatus"] == ""
    assert context.order is None


# --- property: nothing a flow passes can break a decision ----------------------------------------

PARAMETER_NAMES = (
    "intent", "intentConfidence", "menuChoice", "transcript", "sentiment", "failedAttempts", "customerFound",
    "customerId", "crmStatus", "tier", "recentContacts72h", "openComplaints", "callerType", "latestOrderId",
    "latestOrderStatus", "latestOrderEta", "language", "agentsAvailable", "contactsInQueue",
    "oldestContactAgeSeconds", "estimatedWaitSeconds", "hoursOpen",
)  # fmt: skip
TRICKY_VALUES = st.sampled_from(
    ["", "0", "1", "-1", "0.6", "87", "nan", "inf", "-inf", "1e400", "true", "false", "vip", "VIP",
     "NEGATIVE", "ORDER_STATUS", "agent", "gặp nhân viên", "2026-11-25", "{eta}", "{0}", "%s", "\x00", "🙂"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parameters=st.dictionaries(
        st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=12)),
        st.one_of(TRICKY_VALUES, st.text(max_size=40)),
        max_size=12,
    ),
    channel=st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", "", "voice", "SMOKE"]),
    language_code=st.sampled_from(["en-US", "vi-VN", "", "fr-FR", "x"]),
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_any_parameters_give_a_valid_decision(
    parameters: dict[str, str], channel: str, language_code: str, moment: datetime
) -> None:
    """For any strings a flow passes, build_context + decide never raise; always a route and a reason."""
    context = context_for(contact_event(parameters, channel=channel, language_code=language_code), moment)
    decision = decide(context, DOCUMENTS)
    assert decision.route in Route
    assert decision.reasons and all(decision.reasons)
    assert decision.rule_id != "default"  # the shipped policy decides every situation with a rule
    assert set(context.facts) == set(DECISION_FACTS)
    assert all(isinstance(p, str) for p in context.problems)
    if decision.route is not Route.AGENT:
        assert decision.answer.strip()
        assert "{" not in decision.answer or "{" in parameters.get("latestOrderId", "")
