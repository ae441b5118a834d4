"""The IVR rule set: validated against its schema and compiled to plain Python predicates.

A rule set is data: ordered rules, first match wins, each with an id, a condition over the facts
in `facts.DECISION_FACTS` (in the language of `conditions`), an action and a reason code. Every
problem is reported with the rule id and the field path; nothing invalid is ever compiled.

`RuleSet.matching` finds the matching rules through `rule_index`, so a decision's cost grows with
the rules that could apply to the caller, not with every rule in the set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from lambdas.policy.conditions import ConditionCompiler, Facts, LeadingTest, Predicate, parse_sets
from lambdas.policy.facts import DECISION_FACTS, Route
from lambdas.policy.rule_index import RuleIndex
from lambdas.policy.validation import (
    CODE,
    HEADER_FIELDS,
    QUEUE,
    RULE_ID,
    Problems,
    check_header,
    check_keys,
    join,
    type_name,
)

KIND = "tandem/ivr-rules"
MAX_RULES = 1_000  # decision cost allows more; the store (64 KB per document) binds first
PRIORITY_RANGE = range(-5, 6)


PERSON_ROUTES = (Route.AGENT, Route.CALLBACK)


class Action(NamedTuple):
    route: Route
    queue: str = ""
    priority_change: int = 0  # positive = more urgent; escalation turns it into a Connect priority


class Rule(NamedTuple):
    id: str
    reason: str
    action: Action
    matches: Predicate
    description: str = ""
    leading: LeadingTest | None = None  # what the rule tests first, when the index can use it


@dataclass(frozen=True)
class RuleSet:
    revision: str
    intents: frozenset[str]
    intent_aliases: Mapping[str, str]
    agent_request_intent: str
    menu: Mapping[str, str]
    queues: tuple[str, ...]
    rules: tuple[Rule, ...]
    default_action: Action
    default_reason: str
    index: RuleIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", RuleIndex.build([rule.leading for rule in self.rules]))

    def unindexed(self) -> RuleSet:
        """The same rules with an empty index, each tested in turn: the reference the index is
        checked against (tests/unit/test_ivr_rule_index.py) and measured against (bench/)."""
        return replace(self, rules=tuple(rule._replace(leading=None) for rule in self.rules))

    def matching(self, facts: Facts) -> list[Rule]:
        """Every rule whose condition holds, in rule order: exactly what testing each rule gives."""
        rules = self.rules
        return [rule for rule in map(rules.__getitem__, self.index.candidates(facts)) if rule.matches(facts)]


def parse_rules(document: Any) -> RuleSet:
    """Validate and compile; raise `DocumentError` listing every problem."""
    problems = Problems()
    top = ("intents", "rules", "default")
    extra = ("intentAliases", "agentRequestIntent", "menu", "queues", "sets", "definitions")
    if not check_keys(
        problems, "", document, required=HEADER_FIELDS[:3] + top, optional=HEADER_FIELDS[3:] + extra
    ):
        problems.raise_if_any()
    check_header(problems, document, KIND)
    intents = _intents(problems, document.get("intents"))
    aliases = _aliases(problems, document.get("intentAliases", {}), intents)
    agent_intent = document.get("agentRequestIntent", "")
    if not isinstance(agent_intent, str):
        problems.add("agentRequestIntent", f"must be an intent code, got {type_name(agent_intent)}")
        agent_intent = ""
    elif agent_intent and agent_intent not in intents:
        problems.add("agentRequestIntent", f"intent {agent_intent!r} is not declared in intents")
    menu = _menu(problems, document.get("menu", {}), intents)
    queues = _queues(problems, document.get("queues", []))
    sets = parse_sets(problems, document.get("sets", {}))
    compiler = ConditionCompiler(problems, intents, sets, catalogue=DECISION_FACTS)
    compiler.define_all(document.get("definitions", {}))
    rules = _rules(problems, document.get("rules"), compiler, queues)
    default = document.get("default")
    default_action, default_reason = _action_and_reason(problems, "default", default, queues, {"reason"})
    if default_action is not None and default_action.route is Route.SELF_SERVICE:
        problems.add(
            "default.route", "the default cannot be SELF_SERVICE: an unmatched caller needs a person"
        )
    problems.raise_if_any()
    assert default_action is not None
    return RuleSet(
        revision=document["revision"],
        intents=frozenset(intents),
        intent_aliases=aliases,
        agent_request_intent=agent_intent,
        menu=menu,
        queues=tuple(queues),
        rules=tuple(rules),
        default_action=default_action,
        default_reason=default_reason,
    )


def _intents(problems: Problems, value: Any) -> set[str]:
    if not isinstance(value, list) or not value:
        problems.add("intents", "must be a non-empty list of intent codes")
        return set()
    intents: set[str] = set()
    for i, intent in enumerate(value):
        if not isinstance(intent, str) or not CODE.match(intent):
            problems.add(join("intents", i), f"{intent!r} is not an intent code like ORDER_STATUS")
        elif intent in intents:
            problems.add(join("intents", i), f"intent {intent!r} is declared twice")
        else:
            intents.add(intent)
    for reserved in ("UNKNOWN", "OTHER"):
        if intents and reserved not in intents:
            problems.add("intents", f"must include {reserved} (no intent / an intent the set does not know)")
    return intents


def _aliases(problems: Problems, value: Any, intents: set[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        problems.add("intentAliases", f"must be an object, got {type_name(value)}")
        return {}
    for name, target in value.items():
        if not isinstance(target, str) or target not in intents:
            problems.add(join("intentAliases", name), f"intent {target!r} is not declared in intents")
    return {str(k).upper(): str(v) for k, v in value.items()}


def _menu(problems: Problems, value: Any, intents: set[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        problems.add("menu", f"must be an object of key → intent, got {type_name(value)}")
        return {}
    for key, intent in value.items():
        if key not in "0123456789*#" or len(key) != 1:
            problems.add(join("menu", key), "menu keys are single DTMF keys 0-9, * or #")
        if not isinstance(intent, str) or intent not in intents:
            problems.add(join("menu", key), f"intent {intent!r} is not declared in intents")
    return dict(value)


def _queues(problems: Problems, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(q, str) and QUEUE.match(q) for q in value):
        problems.add("queues", "must be a list of queue names like general")
        return []
    return list(value)


def _rules(problems: Problems, value: Any, compiler: ConditionCompiler, queues: list[str]) -> list[Rule]:
    if not isinstance(value, list) or not value:
        problems.add("rules", "must be a non-empty list")
        return []
    if len(value) > MAX_RULES:
        problems.add("rules", f"has {len(value)} rules; at most {MAX_RULES}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        rule_id = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"rule {rule_id!r} (rules[{i}])" if isinstance(rule_id, str) else f"rules[{i}]"
        fields = ("id", "when", "action", "reason")
        if not check_keys(problems, where, raw, required=fields, optional=("description", "enabled")):
            continue
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            problems.add(f"{where} field id", "must be lower-case letters, digits and hyphens")
        elif rule_id in seen:
            problems.add(f"{where} field id", "is used by an earlier rule; ids must be unique")
        seen.add(str(rule_id))
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.add(f"{where} field enabled", f"must be true or false, got {type_name(enabled)}")
        matches = compiler.condition(raw["when"], where, "when", 0)
        action, reason = _action_and_reason(problems, where, raw, queues, set(fields))
        if matches is not None and action is not None and enabled is True:
            description = str(raw.get("description", ""))
            leading = compiler.leading_test(matches)
            rules.append(Rule(str(rule_id), reason, action, matches, description, leading))
    return rules


def _action_and_reason(
    problems: Problems, where: str, raw: Any, queues: list[str], allowed: set[str]
) -> tuple[Action | None, str]:
    if not isinstance(raw, Mapping):
        problems.add(where, f"must be an object, got {type_name(raw)}")
        return None, ""
    reason = raw.get("reason")
    if not isinstance(reason, str) or not CODE.match(reason):
        problems.add(f"{where} field reason", f"must be a code like VIP_CUSTOMER, got {reason!r}")
    # The rule-level "action" object, or the default's own fields.
    action_raw: Any = (
        raw.get("action") if "action" in allowed else {k: v for k, v in raw.items() if k != "reason"}
    )
    field = f"{where} field action" if "action" in allowed else where
    if not check_keys(problems, field, action_raw, required=("route",), optional=("queue", "priorityChange")):
        return None, str(reason)
    route = action_raw["route"]
    if not isinstance(route, str) or route not in Route.__members__:
        problems.add(f"{field}.route", f"must be one of {', '.join(Route)}, got {route!r}")
        return None, str(reason)
    queue = action_raw.get("queue", "")
    if not isinstance(queue, str):
        problems.add(f"{field}.queue", f"must be a queue name, got {type_name(queue)}")
        queue = ""
    priority = action_raw.get("priorityChange", 0)
    person = Route(route) in PERSON_ROUTES
    if queue and not person:
        problems.add(f"{field}.queue", f"only AGENT and CALLBACK routes take a queue, not {route}")
    elif queue and queue not in queues:
        problems.add(f"{field}.queue", f"queue {queue!r} is not declared in queues")
    if not isinstance(priority, int) or isinstance(priority, bool) or priority not in PRIORITY_RANGE:
        problems.add(f"{field}.priorityChange", f"must be a whole number from -5 to 5, got {priority!r}")
        priority = 0
    elif priority and not person:
        problems.add(
            f"{field}.priorityChange", f"only AGENT and CALLBACK routes take a priority, not {route}"
        )
    return Action(Route(route), str(queue), priority), str(reason)
