"""Connect's ids and codes in logs: shown only in Connect's shape, otherwise as a marker.

`ContactId`, `InitialContactId` (the correlation id), `Channel` and `InitiationMethod` are logged on
every line of a Connect-facing handler. A flow, a test harness or a forged event may put anything
there, so a value that is not a lowercase UUID or one of Connect's codes is logged as `<malformed>`,
never its text. Each handler is fed events whose four members hold a phone number, a name, an
email or long junk, and everything it logs (its log lines and EMF documents, Python logging
records, via test_privacy.py's capture) is scanned with test_privacy.py's checker and for the value
itself. Routing is untouched: with hostile ids, each handler answers as it does with valid ones.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdas.shared.event import CHANNELS, CONTACT_ID, INITIATION_METHODS, MALFORMED
from tandem.local import Sandbox
from tandem.local.demo_data import DEMO_CUSTOMERS
from tests.reliability.test_fuzz_handlers import FUZZ, HANDLERS, HANDOFF, garbage_text, phone_like
from tests.reliability.test_privacy import Capture, Forbidden, capturing, demo_names, leaks_in_logs

MEMBERS = ("ContactId", "InitialContactId", "Channel", "InitiationMethod")
CUSTOMER = DEMO_CUSTOMERS[0]
HOSTILE = {
    "e164": "+12025550199",
    "national": "(202) 555-0199",
    "uk": "+44 7700 900999",
    "name": f"{CUSTOMER.first_name} {CUSTOMER.last_name}",
    "email": "someone.private@example.org",
    "junk": "Zq9" * 2000,
    "almost-uuid": "11111111-2222-4333-8444-55555555555X",
}


def event_for(handler: str, members: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(HANDOFF)
    if handler == "survey":
        event["Details"]["Parameters"] = {"step": "record-survey", "csat": "4", "route": "AGENT"}
    event["Details"]["ContactData"].update(members)
    return event


def scanned_texts(capture: Capture) -> list[str]:
    return [text for _, text in capture.log_texts()]


def marker_lines(box: Sandbox) -> list[dict[str, Any]]:
    return [line for line in box.last.log_lines if line.get("contact_id") == MALFORMED]


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("handler", HANDLERS)
def test_a_hostile_id_channel_or_method_is_logged_as_a_marker(
    monkeypatch: pytest.MonkeyPatch, handler: str, kind: str
) -> None:
    value = HOSTILE[kind]
    with capturing(monkeypatch) as capture, capture.sandbox(attach=False) as box:
        box.invoke(handler, event_for(handler, dict.fromkeys(MEMBERS, value)))
        lines = [line for line in box.last.log_lines if line.get("service") == handler]
        # Then every line marks the four members instead of showing them
        assert lines and all(
            (
                line.get("contact_id"),
                line.get("correlation_id"),
                line.get("channel"),
                line.get("initiation_method"),
            )
            == (MALFORMED,) * 4
            for line in lines
        ), lines
    # And nothing logged holds the value, in any form the privacy checker knows
    forbidden = Forbidden.build([HOSTILE["e164"], "+12025550199", "+447700900999"], demo_names())
    assert leaks_in_logs(capture, forbidden) == []
    assert not [text for text in scanned_texts(capture) if value in text or json.dumps(value)[1:-1] in text]


@pytest.mark.parametrize("handler", HANDLERS)
def test_hostile_ids_change_no_answer(box: Sandbox, handler: str) -> None:
    # Given the same event with Connect's ids, then with a phone number in both id members
    valid = box.invoke(handler, event_for(handler, {}))
    hostile = box.invoke(
        handler, event_for(handler, {"ContactId": "+12025550199", "InitialContactId": "+12025550199"})
    )
    # Then the handler answers the same (ids key the records; they route nothing)
    assert hostile == valid
    assert marker_lines(box), box.last.log_lines


def test_valid_ids_and_codes_are_logged_as_they_are(box: Sandbox) -> None:
    event = event_for("ivr_decision", {"Channel": "CHAT", "InitiationMethod": "API"})
    box.invoke("ivr_decision", event)
    contact = event["Details"]["ContactData"]
    (line,) = [line for line in box.last.log_lines if line.get("message") == "ivr decision"]
    assert (line["contact_id"], line["correlation_id"], line["channel"], line["initiation_method"]) == (
        contact["ContactId"],
        contact["InitialContactId"],
        "CHAT",
        "API",
    )


def loggable(value: Any, known: tuple[str, ...] | None) -> bool:
    """Whether Connect could have sent it: then the log may show it."""
    text = str(value).strip()
    return bool(CONTACT_ID.fullmatch(text)) if known is None else text.upper() in known


values = st.one_of(garbage_text, phone_like, st.emails(), st.sampled_from(list(HOSTILE.values())))


@pytest.mark.parametrize("handler", HANDLERS)
@FUZZ
@given(chosen=st.fixed_dictionaries(dict.fromkeys(MEMBERS, values)))
def test_no_generated_value_of_the_four_members_reaches_a_log(
    box: Sandbox, handler: str, chosen: dict[str, Any]
) -> None:
    # A control call with Connect's own members: text the handler logs anyway (a rule's reason such
    # as COMPLAINT, a tier) is no evidence of a leak when the generator happens to produce it.
    box.invoke(handler, event_for(handler, {}))
    control = json.dumps(box.last.log_lines + box.last.metrics, ensure_ascii=False, default=str)
    box.invoke(handler, event_for(handler, chosen))
    logged = json.dumps(box.last.log_lines + box.last.metrics, ensure_ascii=False, default=str)
    domains = {
        "ContactId": None,
        "InitialContactId": None,
        "Channel": CHANNELS,
        "InitiationMethod": INITIATION_METHODS,
    }
    for member, value in chosen.items():
        text = str(value).strip() if value is not None else ""
        if len(text) < 6 or loggable(value, domains[member]) or text in control:
            continue  # short values occur in any log by chance; Connect's own may be shown
        assert text not in logged and json.dumps(text, ensure_ascii=False)[1:-1] not in logged, (member, text)
