"""Schema rejections for the three IVR documents: rules, content and calendar.

Every rejection must say where: the rule id and its index, and the field path inside it, so an
operator can fix a rule set from `tandem rules validate` output alone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lambdas.documents.registry import bundled_defaults, parse_text
from lambdas.ivr_decision.decide import Documents, decide
from lambdas.policy.calendar import parse_calendar
from lambdas.policy.conditions import MAX_DEPTH
from lambdas.policy.content import parse_content
from lambdas.policy.facts import Route
from lambdas.policy.rules import MAX_RULES, parse_rules
from lambdas.policy.validation import DocumentError
from tests.unit.ivr_support import contact_event, context_for, defaults, shipped_json

# A small valid rule set; each test breaks one thing in a copy of it.
BASE: dict[str, Any] = {
    "kind": "tandem/ivr-rules",
    "schemaVersion": 1,
    "revision": "test.1",
    "intents": ["ORDER_STATUS", "COMPLAINT", "AGENT_REQUEST", "OTHER", "UNKNOWN"],
    "agentRequestIntent": "AGENT_REQUEST",
    "menu": {"1": "ORDER_STATUS", "0": "AGENT_REQUEST"},
    "queues": ["general", "priority", "callback"],
    "sets": {"PROBLEMS": ["DELAYED", "LOST"]},
    "definitions": {
        "routine": {"all": [{"fact": "intent", "eq": "ORDER_STATUS"}, {"fact": "confidence", "gte": 0.6}]}
    },
    "rules": [
        {
            "id": "complaint",
            "when": {"fact": "intent", "eq": "COMPLAINT"},
            "action": {"route": "AGENT", "queue": "general", "priorityChange": 1},
            "reason": "COMPLAINT",
        },
        {
            "id": "routine",
            "when": {"use": "routine"},
            "action": {"route": "SELF_SERVICE"},
            "reason": "ROUTINE",
        },
    ],
    "default": {"route": "AGENT", "queue": "general", "reason": "NO_RULE_MATCHED"},
}


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def with_rule(rule: dict[str, Any], **top: Any) -> dict[str, Any]:
    """BASE with `rule` appended, so it is rules[2]."""
    document = base()
    document["rules"].append(rule)
    document.update(top)
    return document


def rule(rule_id: str = "bad-rule", when: Any = None, **fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": rule_id,
        "when": when if when is not None else {"fact": "intent", "eq": "COMPLAINT"},
        "action": {"route": "AGENT", "queue": "general"},
        "reason": "SOMETHING",
    }
    raw.update(fields)
    return raw


def problems_of(document: Any) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        parse_rules(document)
    return caught.value.problems


def nested_not(depth: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"fact": "intent", "eq": "COMPLAINT"}
    for _ in range(depth):
        condition = {"not": condition}
    return condition


def test_the_base_document_is_valid() -> None:
    ruleset = parse_rules(base())
    assert [r.id for r in ruleset.rules] == ["complaint", "routine"]


# (case id, document, text that must appear in one problem: the rule id with its index and the field path)
R = "rule 'bad-rule' (rules[2])"
REJECTIONS = [
    (
        "unknown-fact",
        with_rule(rule(when={"fact": "mood", "eq": "x"})),
        f"{R} field when.fact: unknown fact 'mood'",
    ),
    (
        "unknown-fact-nested",
        with_rule(rule(when={"all": [{"fact": "tier", "eq": "vip"}, {"fact": "vip", "eq": True}]})),
        f"{R} field when.all[1].fact: unknown fact 'vip'",
    ),
    (
        "ordering-on-a-flag",
        with_rule(rule(when={"fact": "asksForAgent", "gt": 0})),
        f"{R} field when.gt: 'gt' compares numbers; fact 'asksForAgent' is flag",
    ),
    (
        "lt-on-text",
        with_rule(rule(when={"fact": "tier", "lt": "gold"})),
        f"{R} field when.lt: 'lt' compares numbers; fact 'tier' is text",
    ),
    (
        "in-on-a-flag",
        with_rule(rule(when={"fact": "customerFound", "in": [True]})),
        f"{R} field when.in: fact 'customerFound' is true/false",
    ),
    (
        "text-for-a-number",
        with_rule(rule(when={"fact": "failedAttempts", "gte": "2"})),
        f"{R} field when.gte: fact 'failedAttempts' is a number, got text '2'",
    ),
    (
        "bool-for-a-number",
        with_rule(rule(when={"fact": "failedAttempts", "gte": True})),
        f"{R} field when.gte: fact 'failedAttempts' is a number",
    ),
    (
        "enum-value-upper-case",
        with_rule(rule(when={"fact": "tier", "eq": "VIP"})),
        f"{R} field when.eq: 'VIP' is not a value of 'tier'",
    ),
    (
        "enum-value-in-list",
        with_rule(rule(when={"fact": "sentiment", "in": ["NEGATIVE", "ANGRY"]})),
        f"{R} field when.in: 'ANGRY' is not a value of 'sentiment'",
    ),
    (
        "undeclared-intent",
        with_rule(rule(when={"fact": "intent", "eq": "REFUND"})),
        f"{R} field when.eq: 'REFUND' is not a value of 'intent'",
    ),
    (
        "undefined-set",
        with_rule(rule(when={"fact": "latestOrderStatus", "in": "@NOPE"})),
        f"{R} field when.in: set '@NOPE' is not defined in sets",
    ),
    (
        "use-undefined-definition",
        with_rule(rule(when={"not": {"use": "busy"}})),
        f"{R} field when.not.use: 'use' must name an earlier definition, got 'busy'",
    ),
    (
        "two-operators",
        with_rule(rule(when={"fact": "confidence", "gte": 0.1, "lt": 0.5})),
        f"{R} field when.fact: a comparison needs exactly one operator",
    ),
    (
        "unknown-operator",
        with_rule(rule(when={"fact": "confidence", "between": [0, 1]})),
        f"{R} field when.fact: a comparison needs exactly one operator",
    ),
    (
        "empty-all",
        with_rule(rule(when={"all": []})),
        f"{R} field when.all: must be a non-empty list of conditions",
    ),
    (
        "empty-condition",
        with_rule(rule(when={"any": [{}]})),
        f"{R} field when.any[0]: a condition must be an object",
    ),
    (
        "too-deep",
        with_rule(rule(when=nested_not(MAX_DEPTH + 1))),
        f"{R} field when{'.not' * (MAX_DEPTH + 1)}: conditions nest deeper than {MAX_DEPTH} levels",
    ),
    (
        "bad-id-pattern",
        with_rule(rule("Bad_Rule")),
        "rule 'Bad_Rule' (rules[2]) field id: must be lower-case",
    ),
    (
        "duplicate-id",
        with_rule(rule("complaint")),
        "rule 'complaint' (rules[2]) field id: is used by an earlier rule",
    ),
    (
        "bad-reason-code",
        with_rule(rule(reason="vip customer")),
        f"{R} field reason: must be a code like VIP_CUSTOMER",
    ),
    (
        "unknown-route",
        with_rule(rule(action={"route": "TRANSFER"})),
        f"{R} field action.route: must be one of",
    ),
    (
        "queue-on-self-service",
        with_rule(rule(action={"route": "SELF_SERVICE", "queue": "general"})),
        f"{R} field action.queue: only AGENT and CALLBACK routes take a queue",
    ),
    (
        "priority-on-closed",
        with_rule(rule(action={"route": "CLOSED", "priorityChange": 1})),
        f"{R} field action.priorityChange: only AGENT and CALLBACK routes take a priority",
    ),
    (
        "undeclared-queue",
        with_rule(rule(action={"route": "AGENT", "queue": "billing"})),
        f"{R} field action.queue: queue 'billing' is not declared in queues",
    ),
    (
        "priority-too-high",
        with_rule(rule(action={"route": "AGENT", "priorityChange": 6})),
        f"{R} field action.priorityChange: must be a whole number from -5 to 5, got 6",
    ),
    (
        "priority-too-low",
        with_rule(rule(action={"route": "AGENT", "priorityChange": -6})),
        f"{R} field action.priorityChange: must be a whole number from -5 to 5, got -6",
    ),
    (
        "priority-bool",
        with_rule(rule(action={"route": "AGENT", "priorityChange": True})),
        f"{R} field action.priorityChange: must be a whole number from -5 to 5, got True",
    ),
    (
        "priority-fraction",
        with_rule(rule(action={"route": "AGENT", "priorityChange": 1.5})),
        f"{R} field action.priorityChange: must be a whole number from -5 to 5, got 1.5",
    ),
    (
        "unknown-action-field",
        with_rule(rule(action={"route": "AGENT", "skill": "x"})),
        f"{R} field action: unknown field 'skill'",
    ),
    (
        "missing-reason",
        with_rule({k: v for k, v in rule().items() if k != "reason"}),
        f"{R}: missing field 'reason'",
    ),
    (
        "missing-when",
        with_rule({k: v for k, v in rule().items() if k != "when"}),
        f"{R}: missing field 'when'",
    ),
    ("unknown-rule-field", with_rule(rule(priority=3)), f"{R}: unknown field 'priority'"),
    ("enabled-not-a-bool", with_rule(rule(enabled="false")), f"{R} field enabled: must be true or false"),
    ("rule-not-an-object", with_rule("complaint"), "rules[2]: must be an object, got text"),  # type: ignore[arg-type]
    (
        "default-self-service",
        {**base(), "default": {"route": "SELF_SERVICE", "reason": "NO_RULE_MATCHED"}},
        "default.route: the default cannot be SELF_SERVICE",
    ),
    (
        "default-missing-reason",
        {**base(), "default": {"route": "AGENT", "queue": "general"}},
        "default field reason: must be a code like VIP_CUSTOMER, got None",
    ),
    ("unknown-top-level-field", {**base(), "owner": "ops"}, "unknown field 'owner'"),
    ("missing-rules", {k: v for k, v in base().items() if k != "rules"}, "missing field 'rules'"),
    ("empty-rules", {**base(), "rules": []}, "rules: must be a non-empty list"),
    ("wrong-kind", {**base(), "kind": "tandem/ivr-content"}, "kind: must be 'tandem/ivr-rules'"),
    ("wrong-schema-version", {**base(), "schemaVersion": 2}, "schemaVersion: must be 1, got 2"),
    ("schema-version-as-text", {**base(), "schemaVersion": "1"}, "schemaVersion: must be 1, got '1'"),
    ("bad-revision", {**base(), "revision": "has spaces"}, "revision: must be a short label"),
    (
        "intents-without-reserved",
        {**base(), "intents": ["ORDER_STATUS", "COMPLAINT", "AGENT_REQUEST"]},
        "intents: must include UNKNOWN",
    ),
    (
        "alias-to-undeclared-intent",
        {**base(), "intentAliases": {"WISMO": "WHERE_IS_IT"}},
        "intentAliases.WISMO: intent 'WHERE_IS_IT' is not declared in intents",
    ),
    (
        "menu-to-undeclared-intent",
        {**base(), "menu": {"7": "REFUND"}},
        "menu.7: intent 'REFUND' is not declared",
    ),
    (
        "menu-key-not-a-key",
        {**base(), "menu": {"12": "ORDER_STATUS"}},
        "menu.12: menu keys are single DTMF keys",
    ),
    (
        "agent-intent-undeclared",
        {**base(), "agentRequestIntent": "HUMAN"},
        "agentRequestIntent: intent 'HUMAN' is not declared in intents",
    ),
    ("set-name-not-a-code", {**base(), "sets": {"problems": ["LOST"]}}, "sets.problems: set names are codes"),
    ("bad-queue-name", {**base(), "queues": ["General Queue"]}, "queues: must be a list of queue names"),
    (
        "definition-uses-a-later-one",
        {**base(), "definitions": {"early": {"use": "late"}, "late": {"fact": "tier", "eq": "vip"}}},
        "definition 'early' field use: 'use' must name an earlier definition, got 'late'",
    ),
    (
        "definition-with-a-bad-fact",
        {**base(), "definitions": {"routine": {"fact": "intnet", "eq": "X"}}},
        "definition 'routine' field fact: unknown fact 'intnet'",
    ),
]


@pytest.mark.parametrize(("document", "expected"), [pytest.param(d, e, id=i) for i, d, e in REJECTIONS])
def test_an_invalid_rule_set_is_rejected_naming_where(document: dict[str, Any], expected: str) -> None:
    """Given one defect, When parsed, Then a DocumentError names the rule (and index) and the field."""
    problems = problems_of(document)
    assert any(expected in problem for problem in problems), problems


def test_more_than_the_maximum_number_of_rules_is_rejected() -> None:
    document = base()
    document["rules"] = [rule(f"rule-{i}") for i in range(MAX_RULES + 1)]
    problems = problems_of(document)
    assert f"rules: has {MAX_RULES + 1} rules; at most {MAX_RULES}" in problems


def test_the_maximum_number_of_rules_and_the_maximum_depth_are_allowed() -> None:
    document = base()
    document["rules"] = [rule(f"rule-{i}") for i in range(MAX_RULES - 1)]
    document["rules"].append(rule("deepest", when=nested_not(MAX_DEPTH)))
    assert len(parse_rules(document).rules) == MAX_RULES


def test_every_problem_is_collected_not_just_the_first() -> None:
    """Given three independent defects, When parsed, Then all three are reported, each in its place."""
    document = with_rule(rule("bad-fact", when={"fact": "mood", "eq": "x"}))
    document["rules"].append(rule("bad-reason", reason="lower case"))
    document["default"] = {"route": "AGENT", "queue": "nowhere", "reason": "NO_RULE_MATCHED"}
    problems = problems_of(document)
    assert len(problems) == 3, problems
    assert problems[0].startswith("rule 'bad-fact' (rules[2]) field when.fact:")
    assert problems[1].startswith("rule 'bad-reason' (rules[3]) field reason:")
    assert problems[2].startswith("default.queue: queue 'nowhere' is not declared")


def test_the_error_message_summarises_the_count() -> None:
    document = with_rule(rule("bad-fact", when={"fact": "mood", "eq": "x"}))
    document["rules"].append(rule("bad-reason", reason="lower case"))
    with pytest.raises(DocumentError, match=r"rule 'bad-fact' .* \(and 1 more\)$"):
        parse_rules(document)


def test_a_disabled_rule_is_still_validated() -> None:
    """Given a disabled rule with an unknown fact, Then the set is refused all the same."""
    problems = problems_of(with_rule(rule(when={"fact": "mood", "eq": "x"}, enabled=False)))
    assert any(p.startswith(f"{R} field when.fact: unknown fact 'mood'") for p in problems)


def test_a_disabled_rule_never_matches() -> None:
    """Given a disabled rule that would close every complaint, When a complaint calls, Then it is skipped."""
    document = shipped_json("rules")
    document["rules"].insert(
        0,
        {
            "id": "close-everything",
            "enabled": False,
            "when": {"fact": "intent", "eq": "COMPLAINT"},
            "action": {"route": "CLOSED"},
            "reason": "SWITCHED_OFF",
        },
    )
    rules = parse_rules(document)
    assert "close-everything" not in [r.id for r in rules.rules]
    shipped = defaults()
    documents = Documents(rules, shipped.content, shipped.calendar, shipped.sources)
    context = context_for(
        contact_event({"intent": "COMPLAINT", "intentConfidence": "0.9"}), documents=documents
    )
    decision = decide(context, documents)
    assert decision.route is Route.AGENT
    assert "SWITCHED_OFF" not in decision.reasons


def test_the_shipped_documents_validate() -> None:
    parsed = bundled_defaults()
    assert set(parsed) == {"rules", "content", "calendar"}
    assert all(p.revision and len(p.sha256) == 64 for p in parsed.values())
    assert len(parsed["rules"].value.rules) == len(shipped_json("rules")["rules"])  # type: ignore[union-attr]


def test_parse_text_rejects_a_document_of_the_wrong_kind_for_its_name() -> None:
    text = (bundled_defaults()["content"]).canonical_text
    with pytest.raises(DocumentError, match="kind: expected a rules document"):
        parse_text(text, "rules")


def test_parse_text_rejects_broken_json_with_its_position() -> None:
    with pytest.raises(DocumentError, match="not valid JSON: line 1 column"):
        parse_text('{"kind": ', "rules")


# --- values of the wrong JSON type must be refused, not crash the parser -------------------------
#
# Regression: a list or object where a string is expected once reached a `x in set/dict` test and
# raised TypeError instead of DocumentError naming the field.
UNHASHABLE = [
    ("route-as-list", with_rule(rule(action={"route": ["AGENT"]})), f"{R} field action.route"),
    ("use-as-list", with_rule(rule(when={"use": ["routine"]})), f"{R} field when.use"),
    ("menu-intent-as-list", {**base(), "menu": {"1": ["ORDER_STATUS"]}}, "menu.1"),
    ("alias-target-as-list", {**base(), "intentAliases": {"WISMO": ["ORDER_STATUS"]}}, "intentAliases.WISMO"),
    ("agent-intent-as-list", {**base(), "agentRequestIntent": ["AGENT_REQUEST"]}, "agentRequestIntent"),
]


@pytest.mark.parametrize(("document", "expected"), [pytest.param(d, e, id=i) for i, d, e in UNHASHABLE])
def test_a_wrongly_typed_value_is_a_document_error(document: dict[str, Any], expected: str) -> None:
    problems = problems_of(document)
    assert any(expected in problem for problem in problems), problems


def test_parse_text_with_a_list_as_kind_is_a_document_error() -> None:
    with pytest.raises(DocumentError, match="kind"):
        parse_text('{"kind": ["tandem/ivr-rules"]}')


def test_schema_version_true_is_rejected() -> None:
    assert any(p.startswith("schemaVersion:") for p in problems_of({**base(), "schemaVersion": True}))


# --- content ------------------------------------------------------------------------------------


def content_problems(mutate: Any) -> list[str]:
    document = shipped_json("content")
    mutate(document)
    with pytest.raises(DocumentError) as caught:
        parse_content(document)
    return caught.value.problems


def test_content_placeholder_typo_is_rejected() -> None:
    def typo(d: dict[str, Any]) -> None:
        d["orderStatus"]["en"]["statuses"]["SHIPPED"] = "has shipped and should arrive by {etaa}"

    problems = content_problems(typo)
    assert problems == ["orderStatus.en.statuses.SHIPPED: unknown placeholder {etaa}; allowed here: {eta}"]


def test_content_placeholder_in_an_answer_is_rejected() -> None:
    def placeholder(d: dict[str, Any]) -> None:
        d["answers"]["RETURN_POLICY"]["vi"] = "Xin chào {firstName}"

    assert content_problems(placeholder) == [
        "answers.RETURN_POLICY.vi: unknown placeholder {firstName}; allowed here: none"
    ]


def test_content_broken_brace_is_rejected() -> None:
    def broken(d: dict[str, Any]) -> None:
        d["messages"]["CLOSED_HOLIDAY"]["en"] = "Closed for {closureName"

    problems = content_problems(broken)
    assert len(problems) == 1
    assert problems[0].startswith("messages.CLOSED_HOLIDAY.en: has a broken placeholder")


def test_content_without_the_default_language_is_rejected() -> None:
    def drop_english(d: dict[str, Any]) -> None:
        del d["answers"]["SHIPPING_INFO"]["en"]
        del d["orderStatus"]["en"]

    problems = content_problems(drop_english)
    assert any(
        p.startswith("answers.SHIPPING_INFO: must be an object of language → text including")
        for p in problems
    )
    assert any(
        p.startswith("orderStatus: must be an object of language → phrases including 'en'") for p in problems
    )


def test_content_missing_a_required_message_is_rejected() -> None:
    def drop(d: dict[str, Any]) -> None:
        del d["messages"]["CLOSED_EMERGENCY"]

    assert content_problems(drop) == ["messages: missing message CLOSED_EMERGENCY"]


def test_content_with_an_empty_text_or_a_bad_language_is_rejected() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["answers"]["PAYMENT_METHODS"]["en"] = "  "
        d["answers"]["PAYMENT_METHODS"]["vie"] = "x"

    problems = content_problems(bad)
    assert "answers.PAYMENT_METHODS.en: must be non-empty text, got text" in problems
    assert any(p.startswith("answers.PAYMENT_METHODS.vie: language must be two letters") for p in problems)


# --- calendar -----------------------------------------------------------------------------------


def calendar_problems(mutate: Any) -> list[str]:
    document = shipped_json("calendar")
    mutate(document)
    with pytest.raises(DocumentError) as caught:
        parse_calendar(document)
    return caught.value.problems


def closure(**fields: Any) -> dict[str, Any]:
    return {"id": "storm", "type": "EMERGENCY", "name": {"en": "a storm"}, **fields}


CALENDAR_REJECTIONS = [
    ("bad-day", lambda d: d["weekly"].update({"FUNDAY": [["08:00", "18:00"]]}), "weekly.FUNDAY: unknown day"),
    (
        "close-before-open",
        lambda d: d["weekly"].update({"SUNDAY": [["18:00", "08:00"]]}),
        "weekly.SUNDAY[0]: closes at 08:00, not after it opens at 18:00",
    ),
    ("bad-time", lambda d: d["weekly"].update({"SUNDAY": [["8am", "18:00"]]}), "weekly.SUNDAY[0]: must be"),
    (
        "overlapping",
        lambda d: d["weekly"].update({"MONDAY": [["08:00", "12:00"], ["11:00", "18:00"]]}),
        "weekly.MONDAY: intervals overlap",
    ),
    (
        "bad-month-day",
        lambda d: d["closures"].append(closure(every="13-01")),
        "closure 'storm' (closures[4]) field every: must be MM-DD like 12-25, got '13-01'",
    ),
    (
        "bad-day-of-month",
        lambda d: d["closures"].append(closure(every="12-32")),
        "closure 'storm' (closures[4]) field every: must be MM-DD",
    ),
    (
        "date-and-every",
        lambda d: d["closures"].append(closure(every="12-24", date="2026-12-24")),
        "closure 'storm' (closures[4]): needs exactly one of every (MM-DD), date (YYYY-MM-DD) or start + end",
    ),
    (
        "start-without-end",
        lambda d: d["closures"].append(closure(start="2026-11-23T09:00")),
        "closure 'storm' (closures[4]): needs exactly one of",
    ),
    (
        "bad-date",
        lambda d: d["closures"].append(closure(date="2026-02-30")),
        "closure 'storm' (closures[4]) field date: must be YYYY-MM-DD",
    ),
    (
        "offset-in-start",
        lambda d: d["closures"].append(closure(start="2026-11-23T09:00+00:00", end="2026-11-23T17:00")),
        "closure 'storm' (closures[4]) field start: start and end are local times: leave out the UTC offset",
    ),
    (
        "end-before-start",
        lambda d: d["closures"].append(closure(start="2026-11-23T17:00", end="2026-11-23T09:00")),
        "closure 'storm' (closures[4]) field end: must be after start",
    ),
    (
        "bad-type",
        lambda d: d["closures"].append(closure(type="STRIKE", every="05-01")),
        "closure 'storm' (closures[4]) field type: must be HOLIDAY or EMERGENCY",
    ),
    (
        "duplicate-id",
        lambda d: d["closures"].append(closure(id="christmas", every="12-24")),
        "closure 'christmas' (closures[4]) field id: must be a unique lower-case id",
    ),
    (
        "empty-name",
        lambda d: d["closures"].append(closure(name={}, every="12-24")),
        "closure 'storm' (closures[4]) field name: must be text or an object",
    ),
    (
        "bad-time-zone",
        lambda d: d.update({"timeZone": "Mars/Olympus"}),
        "timeZone: must be an IANA time zone",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [pytest.param(m, e, id=i) for i, m, e in CALENDAR_REJECTIONS]
)
def test_an_invalid_calendar_is_rejected_naming_where(mutate: Any, expected: str) -> None:
    problems = calendar_problems(mutate)
    assert any(expected in p for p in problems), problems


def test_a_yearly_closure_on_a_day_that_does_not_exist_is_rejected() -> None:
    problems = calendar_problems(lambda d: d["closures"].append(closure(every="04-31")))
    assert any("field every" in p for p in problems)
