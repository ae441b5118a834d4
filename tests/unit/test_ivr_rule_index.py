"""The rule index finds exactly the rules a full scan finds, and the same decision.

The property tests generate rule sets over the real fact catalogue (`DECISION_FACTS`): conditions
nesting all/any/not/use, every operator the language has, values drawn from small pools so that
rules and callers often meet, unknown (None) queue metrics; and callers over the same pools. The
reference is the straightforward evaluator: every rule tested in order. For malformed facts —
missing, None where a value is required, a number where a flag is, a list where text is — the
index must fail exactly as the scan fails (same exception, same message) or succeed alike.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ivr_decision.decide import Documents, decide
from lambdas.ivr_decision.signals import DecisionContext
from lambdas.policy.conditions import LeadingTest
from lambdas.policy.facts import DECISION_FACTS, FactType
from lambdas.policy.rules import Rule, RuleSet, parse_rules
from tests.unit.ivr_support import OPEN_WEEKDAY, contact_event, context_for, defaults, shipped_json

SHIPPED = defaults()
HEADER = {k: v for k, v in shipped_json("rules").items() if k in ("kind", "schemaVersion", "revision")}
INTENTS = [
    "ORDER_STATUS",
    "RETURN_POLICY",
    "COMPLAINT",
    "BILLING_DISPUTE",
    "AGENT_REQUEST",
    "OTHER",
    "UNKNOWN",
]
SETS = {"ROUTINE": ["ORDER_STATUS", "RETURN_POLICY"]}
TEXT_POOLS = {"intent": INTENTS, "language": ["en", "vi", "fr"], "latestOrderStatus": ["", "SHIPPED", "LOST"]}
NUMBERS = [0, 0.5, 1, 2, 3, 900]
DEFINITIONS = ("d0", "d1", "d2")
FACT_NAMES = sorted(DECISION_FACTS)
TEXT_OPS = ["eq", "ne", "in", "notIn"]
NUMBER_OPS = [*TEXT_OPS, "lt", "lte", "gt", "gte"]
SHAPES = ["fact", "fact", "fact", "use", "all", "all", "any", "not"]
MAX_NESTING = 3
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def text_pool(name: str) -> list[str]:
    fact = DECISION_FACTS[name]
    return sorted(fact.values) if fact.values else TEXT_POOLS[name]


def comparison(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(FACT_NAMES))
    kind = DECISION_FACTS[name].type
    if kind is FactType.FLAG:
        return {"fact": name, draw(st.sampled_from(["eq", "ne"])): draw(st.booleans())}
    pool: list[Any] = NUMBERS if kind is FactType.NUMBER else text_pool(name)
    op = draw(st.sampled_from(NUMBER_OPS if kind is FactType.NUMBER else TEXT_OPS))
    if op in ("in", "notIn"):
        if name == "intent" and draw(st.booleans()):
            return {"fact": name, op: "@ROUTINE"}
        return {"fact": name, op: draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))}
    return {"fact": name, op: draw(st.sampled_from(pool))}


def condition(draw: st.DrawFn, definitions: int, depth: int = 0) -> dict[str, Any]:
    """A condition over the catalogue; drawn by hand (not st.recursive), which generates ~10x faster."""
    shape = draw(st.sampled_from(SHAPES if depth < MAX_NESTING else ["fact"]))
    if shape == "use" and definitions:
        return {"use": draw(st.sampled_from(DEFINITIONS[:definitions]))}
    if shape in ("all", "any"):
        parts = [condition(draw, definitions, depth + 1) for _ in range(draw(st.integers(1, 3)))]
        return {shape: parts}
    if shape == "not":
        return {"not": condition(draw, definitions, depth + 1)}
    return comparison(draw)


ACTIONS = [
    {"route": "SELF_SERVICE"},
    {"route": "CLOSED"},
    {"route": "AGENT", "queue": "general"},
    {"route": "AGENT", "queue": "priority", "priorityChange": 2},
    {"route": "CALLBACK", "queue": "callback"},
]


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    definitions = draw(st.integers(0, len(DEFINITIONS)))
    # A definition may only use the ones before it.
    defined = {DEFINITIONS[i]: condition(draw, i) for i in range(definitions)}
    rules = [
        {
            "id": f"rule-{i}",
            "when": condition(draw, definitions),
            "action": draw(st.sampled_from(ACTIONS)),
            "reason": draw(st.sampled_from(["FIRST", "SECOND", "THIRD", "FOURTH"])),
            "enabled": draw(st.sampled_from([True, True, True, False])),
        }
        for i in range(draw(st.integers(1, 20)))
    ]
    document = {
        **HEADER,
        "intents": INTENTS,
        "queues": ["general", "priority", "callback"],
        "sets": SETS,
        "definitions": defined,
        "rules": rules,
        "default": {"route": "AGENT", "queue": "general", "reason": "NO_RULE_MATCHED"},
    }
    return parse_rules(document)


def fact_value(name: str) -> st.SearchStrategy[Any]:
    fact = DECISION_FACTS[name]
    if fact.type is FactType.FLAG:
        values: st.SearchStrategy[Any] = st.booleans()
    elif fact.type is FactType.NUMBER:
        values = st.sampled_from([*NUMBERS, 0.7, 5, 1000.0])
    else:
        values = st.sampled_from([*text_pool(name), "NOT_IN_ANY_POOL"])
    return values | st.none() if fact.nullable else values


CALLERS = st.fixed_dictionaries({name: fact_value(name) for name in DECISION_FACTS})
ODD_VALUES = st.sampled_from([None, 0, 1, 1.0, ["ORDER_STATUS"], "", True])


def spoil(draw: st.DrawFn, facts: dict[str, Any], rule_set: RuleSet) -> dict[str, Any]:
    """Remove or mistype up to three facts, most often ones the index looks up."""
    indexed = sorted({rule.leading.fact for rule in rule_set.rules if rule.leading is not None})
    names = st.sampled_from(indexed) | st.sampled_from(FACT_NAMES) if indexed else st.sampled_from(FACT_NAMES)
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        if draw(st.booleans()):
            facts.pop(name, None)
        else:
            facts[name] = draw(ODD_VALUES)
    return facts


def straightforward(rule_set: RuleSet, facts: dict[str, Any]) -> list[Rule]:
    return [rule for rule in rule_set.rules if rule.matches(facts)]


def outcome(evaluate: Any, facts: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("matched", [rule.id for rule in evaluate(facts)])
    except Exception as error:  # the comparison is the point: any error, the same on both sides
        return ("raised", type(error), str(error))


@SETTINGS
@given(rule_set=rule_sets(), facts=CALLERS)
def test_the_index_matches_the_same_rules_and_decides_the_same(
    rule_set: RuleSet, facts: dict[str, Any]
) -> None:
    """Given a random rule set and caller, Then the same matching rules in order and the same decision."""
    assert [r.id for r in rule_set.matching(facts)] == [r.id for r in straightforward(rule_set, facts)]
    context = DecisionContext(facts, order=None, closure=None)
    indexed = decide(context, Documents(rule_set, SHIPPED.content, SHIPPED.calendar, {}))
    scanned = decide(context, Documents(rule_set.unindexed(), SHIPPED.content, SHIPPED.calendar, {}))
    assert (indexed.rule_id, indexed.route, indexed.reasons) == (
        scanned.rule_id,
        scanned.route,
        scanned.reasons,
    )
    assert indexed == scanned


@SETTINGS
@given(rule_set=rule_sets(), facts=CALLERS, data=st.data())
def test_with_malformed_facts_the_index_fails_or_succeeds_as_the_scan_does(
    rule_set: RuleSet, facts: dict[str, Any], data: st.DataObject
) -> None:
    """Given missing or mistyped facts, Then the same exception and message, or the same rules."""
    facts = spoil(data.draw, facts, rule_set)
    assert outcome(rule_set.matching, facts) == outcome(lambda f: straightforward(rule_set, f), facts)


def test_the_reference_tests_every_rule() -> None:
    """The reference the properties compare with is a plain scan: no rule is skipped."""
    unindexed = SHIPPED.rules.unindexed()
    assert unindexed.index.candidates({}) == list(range(len(unindexed.rules)))


def test_shipped_rules_are_indexed_by_what_they_test_first() -> None:
    """Leading tests are found directly, as the first part of an `all` and through `use`."""
    leading = {rule.id: rule.leading for rule in SHIPPED.rules.rules}
    routine = frozenset(shipped_json("rules")["sets"]["ROUTINE_INTENTS"])
    assert leading["routine-self-service"] == LeadingTest("intent", routine)  # use → all → in @SET
    assert leading["complaint"] == LeadingTest("intent", frozenset({"COMPLAINT"}))
    assert leading["holiday-callback"] == LeadingTest("hours", frozenset({"HOLIDAY"}))
    assert leading["long-wait-callback"] == LeadingTest("callbackPossible", frozenset({True}))
    assert leading["self-service-failed"] is None  # a number comparison: always tested


def test_a_caller_is_tested_only_against_rules_that_can_match() -> None:
    """An open-hours complaint skips the holiday, after-hours and other intents' rules."""
    rules = SHIPPED.rules
    context = context_for(contact_event({"intent": "Complaint", "intentConfidence": "0.9"}), OPEN_WEEKDAY)
    tested = {rules.rules[i].id for i in rules.index.candidates(context.facts)}
    assert "complaint" in tested
    assert not tested & {"holiday-callback", "after-hours-closed", "cancellation", "billing-dispute"}
    assert len(tested) < len(rules.rules)


def test_a_value_the_index_cannot_judge_selects_every_rule_indexed_by_that_fact() -> None:
    """1 == True, so a flag given as 1 must still reach rules testing `eq true`: they are tested."""
    rules = SHIPPED.rules
    facts = context_for(contact_event({"intent": "Complaint"}), OPEN_WEEKDAY).facts | {"callbackPossible": 1}
    tested = {rules.rules[i].id for i in rules.index.candidates(facts)}
    assert "long-wait-callback" in tested
    assert [r.id for r in rules.matching(facts)] == [r.id for r in straightforward(rules, facts)]
