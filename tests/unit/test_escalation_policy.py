"""The escalation policy document and the pure planning over it (queue, priority, callback, whisper)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lambdas.documents.registry import DEFAULTS_DIR, bundled_defaults, parse_text
from lambdas.escalation.context import build_handoff_context
from lambdas.escalation.plan import choose_callback, choose_priority, choose_queue, whisper
from lambdas.policy.escalation import EscalationPolicy, parse_policy
from lambdas.policy.validation import DocumentError
from lambdas.shared.event import parse_contact_event

SHIPPED = json.loads((DEFAULTS_DIR / "escalation.json").read_text(encoding="utf-8"))
POLICY = parse_policy(SHIPPED)
NEW_YORK = ZoneInfo("America/New_York")
REPO = Path(__file__).resolve().parents[2]


def policy_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SHIPPED)
    change(document)
    return document


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(DocumentError) as raised:
        parse_policy(document)
    return raised.value.problems


def context_for(address: str = "+12025550104", channel: str = "VOICE", **params: str) -> Any:
    event = parse_contact_event(
        {
            "Details": {
                "ContactData": {
                    "ContactId": "c-1",
                    "Channel": channel,
                    "CustomerEndpoint": {"Address": address, "Type": "TELEPHONE_NUMBER"},
                },
                "Parameters": params,
            }
        }
    )
    return build_handoff_context(event)


def test_the_shipped_policy_validates_through_the_shared_document_parser() -> None:
    parsed = parse_text((DEFAULTS_DIR / "escalation.json").read_text(encoding="utf-8"), "escalation")
    assert isinstance(parsed.value, EscalationPolicy)
    assert bundled_defaults(("escalation",))["escalation"].revision == SHIPPED["revision"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["queueRules"][0]["when"].update(fact="tierr"),
            "queueRule 'vip' (queueRules[0]) field when.fact",
        ),
        (
            lambda d: d["queueRules"][0].update(queue="vip-queue"),
            "queueRule 'vip' (queueRules[0]) field queue",
        ),
        (
            lambda d: d["queueRules"][0].update(when={"fact": "tier", "has": "vip"}),
            "'has' cannot test text fact 'tier'",
        ),
        (
            lambda d: d["queueRules"][1].update(when={"fact": "reasons", "eq": "COMPLAINT"}),
            "list fact 'reasons' takes has only",
        ),
        (
            lambda d: d["priority"]["adjustments"][0].update(change=-30),
            "adjustment 'vip' (adjustments[0]) field change",
        ),
        (lambda d: d["priority"]["adjustments"][0].update(change=True), "field change"),
        (lambda d: d["priority"].update(min=0), "priority.min"),
        (lambda d: d["priority"].update(base=12, max=9), "priority: needs min <= base <= max"),
        (lambda d: d["callback"].update(queue="later"), "callback.queue"),
        (lambda d: d["callback"].update(waitThresholdSeconds="600"), "callback.waitThresholdSeconds"),
        (lambda d: d.update(defaultQueue="nowhere"), "defaultQueue"),
        (lambda d: d["whisper"].update(maxChars=10), "whisper.maxChars"),
        (lambda d: d.update(kind="tandem/ivr-rules"), "kind"),
        (
            lambda d: d["priority"]["adjustments"][1].update(id="vip"),
            "adjustment 'vip' (adjustments[1]) field id",
        ),
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
    ],
)
def test_an_invalid_policy_is_refused_naming_the_rule_and_field(change: Any, expected: str) -> None:
    found = problems(policy_with(change))
    assert any(expected in problem for problem in found), found


def test_priority_sums_every_matching_adjustment_and_never_goes_below_one() -> None:
    # Given a VIP, angry, with a complaint, calling for the third time, who rated us 1 last time
    context = context_for(
        tier="vip",
        customerFound="true",
        sentiment="NEGATIVE",
        intent="COMPLAINT",
        recentContacts72h="2",
        lastCsat="1",
    )
    choice = choose_priority(context.facts, POLICY)
    # Then 5 - 3 - 1 - 1 - 1 - 1 = -2, bounded to 1, with every reason kept
    assert choice.priority == 1
    assert choice.reasons == ("VIP_CUSTOMER", "REPEAT_CALLER", "FRUSTRATED", "COMPLAINT", "LOW_CSAT")


def test_a_plain_handoff_keeps_the_base_priority_and_the_default_queue() -> None:
    context = context_for(intent="ORDER_STATUS")
    assert choose_priority(context.facts, POLICY).priority == 5
    assert (choose_queue(context.facts, POLICY).queue, choose_queue(context.facts, POLICY).reason) == (
        "general", "DEFAULT_QUEUE",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("params", "queue", "reason"),
    [
        ({"tier": "vip", "intent": "COMPLAINT"}, "priority", "VIP_CUSTOMER"),
        ({"intent": "COMPLAINT"}, "complaints", "COMPLAINT"),
        ({"reasons": "NEGATIVE_SENTIMENT,COMPLAINT"}, "complaints", "COMPLAINT"),
        ({"intent": "BILLING_DISPUTE"}, "billing", "BILLING"),
        ({"queue": "billing"}, "billing", "DECISION_QUEUE"),
        ({"queue": "callback"}, "general", "DEFAULT_QUEUE"),  # the callback queue is not an agent queue hint
        ({"queue": "nowhere"}, "general", "DEFAULT_QUEUE"),
    ],
)
def test_queue_rules_first_match_then_the_decisions_hint_then_the_default(
    params: dict[str, str], queue: str, reason: str
) -> None:
    choice = choose_queue(context_for(**params).facts, POLICY)
    assert (choice.queue, choice.reason) == (queue, reason)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"route": "CALLBACK", "hours": "AFTER_HOURS", "estimatedWaitSeconds": 9000}, "DECISION"),
        ({"hours": "HOLIDAY"}, "CLOSED"),
        ({"estimatedWaitSeconds": 600.0}, "LONG_WAIT"),
        ({"estimatedWaitSeconds": 599.0, "minutesUntilClose": 20.0}, "CLOSING_SOON"),
        ({"estimatedWaitSeconds": 599.0, "minutesUntilClose": 21.0}, ""),
        ({"estimatedWaitSeconds": None, "minutesUntilClose": None}, ""),
    ],
)
def test_when_a_callback_is_wanted(facts: dict[str, Any], reason: str) -> None:
    base = context_for().facts
    choice = choose_callback({**base, **facts}, POLICY)
    assert (choice.wanted, choice.reason) == (bool(reason), reason)


@pytest.mark.parametrize(
    ("address", "channel", "possible"),
    [("+12025550104", "VOICE", True), ("anonymous", "VOICE", False), ("2025550104", "VOICE", False),
     ("+12025550104", "CHAT", False)],
)  # fmt: skip
def test_a_callback_needs_a_voice_call_from_an_e164_number(
    address: str, channel: str, possible: bool
) -> None:
    context = context_for(address=address, channel=channel, route="CALLBACK")
    assert choose_callback(context.facts, POLICY).possible is possible
    assert bool(context.caller_e164) is possible


def test_the_whisper_never_carries_a_phone_number_and_stays_short() -> None:
    context = context_for(
        customerFound="true", firstName="Ana 2025550104", tier="gold", latestOrderId="99999999999",
        latestOrderStatus="SHIPPED", reasons=",".join(["ASKED_FOR_AGENT", "COMPLAINT", "CANCELLATION"] * 3),
        failedAttempts="2", recentContacts72h="4", openComplaints="2",
    )  # fmt: skip
    text = whisper(context, POLICY)
    assert "2025550104" not in text and "99999999999" not in text
    assert len(text) <= POLICY.whisper.max_chars
    assert text.startswith("Gold customer Ana")
    assert "fifth contact in 72 h" in text


def test_minutes_until_close_follows_the_calendar_in_the_instance_time_zone() -> None:
    calendar = bundled_defaults(("calendar",))["calendar"].value
    monday_17_40_ny = datetime(2026, 11, 23, 22, 40, tzinfo=UTC)
    assert calendar.minutes_until_close(monday_17_40_ny, NEW_YORK) == pytest.approx(20)  # type: ignore[union-attr]
    assert calendar.minutes_until_close(datetime(2026, 11, 24, 3, tzinfo=UTC), NEW_YORK) is None  # type: ignore[union-attr]
    assert calendar.minutes_until_close(datetime(2026, 12, 25, 16, tzinfo=UTC), NEW_YORK) is None  # type: ignore[union-attr]


def test_the_parser_registry_names_each_modules_own_kind_and_parses_its_default() -> None:
    from lambdas.documents.registry import PARSERS
    from lambdas.policy import calendar, content, escalation, experiment, rules

    assert set(PARSERS) == {rules.KIND, content.KIND, calendar.KIND, escalation.KIND, experiment.KIND}
    for kind, (name, parse) in PARSERS.items():
        document = json.loads((DEFAULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert document["kind"] == kind
        assert parse(document).revision == document["revision"]


def test_reading_the_policy_and_calendar_never_loads_the_rules_or_content_parser() -> None:
    # Given a fresh interpreter / When escalation's two documents are parsed through the registry
    code = (
        "import sys; from lambdas.documents.registry import bundled_defaults; "
        "bundled_defaults(('calendar', 'escalation')); "
        "print(sorted(m for m in sys.modules if m.startswith('lambdas.policy.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    # Then only the modules those two documents need are imported
    assert out.stdout.splitlines()[-1] == str(
        [
            "lambdas.policy.calendar",
            "lambdas.policy.conditions",
            "lambdas.policy.escalation",
            "lambdas.policy.facts",
            "lambdas.policy.validation",
        ]
    )
