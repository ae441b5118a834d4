"""The rule set: validated against its schema and compiled to plain Python predicates.

A rule set is data: ordered rules, first match wins, each with an id, a condition over the facts
in `facts.CATALOGUE`, an action and a reason code. Conditions are

    {"all": [c, ...]}  {"any": [c, ...]}  {"not": c}  {"use": "<definition>"}
    {"fact": "<name>", "<op>": value}   op: eq ne in notIn lt lte gt gte has

where `in`/`notIn` take a list or "@SET" naming one of the document's `sets`, and `has` tests a
list fact (such as escalation's `reasons`) for one code. The compiler is shared: the escalation
policy uses it with its own fact catalogue. Every problem is
reported with the rule id and the field path; nothing invalid is ever compiled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lambdas.ivr_decision.facts import CATALOGUE, NULLABLE, Fact, FactType
from lambdas.ivr_decision.validation import (
    HEADER_FIELDS,
    Problems,
    check_header,
    check_keys,
    join,
    type_name,
)

KIND = "tandem/ivr-rules"
Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,47}$")
QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_RULES = 500
MAX_DEPTH = 10
PRIORITY_RANGE = range(-5, 6)
OPERATORS = ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte", "has")
ORDERING = ("lt", "lte", "gt", "gte")


class Route(StrEnum):
    SELF_SERVICE = "SELF_SERVICE"
    AGENT = "AGENT"
    CALLBACK = "CALLBACK"
    CLOSED = "CLOSED"


PERSON_ROUTES = (Route.AGENT, Route.CALLBACK)


@dataclass(frozen=True)
class Action:
    route: Route
    queue: str = ""
    priority_change: int = 0  # positive = more urgent; escalation turns it into a Connect priority


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    action: Action
    matches: Predicate
    description: str = ""


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
    compiler = ConditionCompiler(problems, intents, parse_sets(problems, document.get("sets", {})))
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


def parse_sets(problems: Problems, value: Any) -> dict[str, list[Any]]:
    if not isinstance(value, Mapping):
        problems.add("sets", f"must be an object of NAME → list, got {type_name(value)}")
        return {}
    sets: dict[str, list[Any]] = {}
    for name, members in value.items():
        if not CODE.match(str(name)):  # JSON object keys are text
            problems.add(join("sets", name), "set names are codes like ROUTINE_INTENTS")
        elif not isinstance(members, list) or not members:
            problems.add(join("sets", name), "must be a non-empty list")
        else:
            sets[name] = members
    return sets


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
            rules.append(Rule(str(rule_id), reason, action, matches, str(raw.get("description", ""))))
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


class ConditionCompiler:
    """Turns condition JSON into predicates, recording problems instead of stopping at the first.

    `intents`: the declared intents text facts named `intent` must use; None accepts any code.
    """

    def __init__(
        self,
        problems: Problems,
        intents: set[str] | None,
        sets: dict[str, list[Any]],
        *,
        catalogue: Mapping[str, Fact] = CATALOGUE,
        nullable: frozenset[str] = NULLABLE,
    ) -> None:
        self.problems = problems
        self.intents = intents
        self.sets = sets
        self.catalogue = catalogue
        self.nullable = nullable
        self.definitions: dict[str, Predicate] = {}

    def define_all(self, value: Any) -> None:
        if not isinstance(value, Mapping):
            self.problems.add("definitions", f"must be an object of name → condition, got {type_name(value)}")
            return
        for name, condition in value.items():
            # In order: a definition may use the ones before it, so there can be no cycle.
            predicate = self.condition(condition, f"definition {name!r}", "", 0)
            if predicate is not None:
                self.definitions[name] = predicate

    def condition(self, raw: Any, owner: str, path: str, depth: int) -> Predicate | None:
        def bad(message: str, sub: str = "") -> None:
            self.problems.add(f"{owner} field {join(path, sub) if sub else path or 'condition'}", message)

        if depth > MAX_DEPTH:
            bad(f"conditions nest deeper than {MAX_DEPTH} levels")
            return None
        if not isinstance(raw, Mapping) or not raw:
            bad(f"a condition must be an object, got {type_name(raw)}")
            return None
        if "all" in raw or "any" in raw:
            return self._combination(raw, owner, path, depth, bad)
        if "not" in raw:
            if len(raw) != 1:
                bad("'not' takes a single condition and nothing else")
                return None
            inner = self.condition(raw["not"], owner, join(path, "not"), depth + 1)
            return None if inner is None else (lambda facts: not inner(facts))
        if "use" in raw:
            name = raw["use"]
            if len(raw) != 1 or not isinstance(name, str) or name not in self.definitions:
                bad(f"'use' must name an earlier definition, got {name!r}", "use")
                return None
            return self.definitions[name]
        if "fact" in raw:
            return self._comparison(raw, bad)
        bad("a condition needs one of all, any, not, use or fact")
        return None

    def _combination(
        self, raw: Mapping[str, Any], owner: str, path: str, depth: int, bad: Any
    ) -> Predicate | None:
        key = "all" if "all" in raw else "any"
        parts = raw[key]
        if len(raw) != 1:
            bad(f"'{key}' takes a list of conditions and nothing else")
            return None
        if not isinstance(parts, list) or not parts:
            bad("must be a non-empty list of conditions", key)
            return None
        compiled = [
            self.condition(c, owner, join(join(path, key), i), depth + 1) for i, c in enumerate(parts)
        ]
        if any(c is None for c in compiled):
            return None
        predicates: tuple[Predicate, ...] = tuple(c for c in compiled if c is not None)
        if key == "all":
            return lambda facts: all(p(facts) for p in predicates)
        return lambda facts: any(p(facts) for p in predicates)

    def _comparison(self, raw: Mapping[str, Any], bad: Any) -> Predicate | None:
        name = raw["fact"]
        fact = self.catalogue.get(name) if isinstance(name, str) else None
        if fact is None:
            bad(f"unknown fact {name!r}; known facts: {', '.join(sorted(self.catalogue))}", "fact")
            return None
        ops = [k for k in raw if k != "fact"]  # keys of a JSON object are always text
        if len(ops) != 1 or ops[0] not in OPERATORS:
            bad(f"a comparison needs exactly one operator of {', '.join(OPERATORS)}, got {ops}", "fact")
            return None
        op = ops[0]
        value = self._operand(fact, op, raw[op], lambda message: bad(message, op))
        if value is _INVALID:
            return None
        return _predicate(fact.name, op, value, fact.name in self.nullable)

    def _operand(self, fact: Fact, op: str, value: Any, bad: Callable[[str], None]) -> Any:
        if (op == "has") != (fact.type is FactType.LIST):
            usage = "use has with a list fact" if op == "has" else f"list fact {fact.name!r} takes has only"
            bad(f"'{op}' cannot test {fact.type.value} fact {fact.name!r}: {usage}")
            return _INVALID
        if op == "has":
            if not isinstance(value, str):
                bad(f"'has' takes one code, got {type_name(value)}")
                return _INVALID
            return value
        if op in ("in", "notIn"):
            if isinstance(value, str) and value.startswith("@"):
                if value[1:] not in self.sets:
                    bad(f"set {value!r} is not defined in sets")
                    return _INVALID
                value = self.sets[value[1:]]
            if not isinstance(value, list) or not value:
                bad(f"'{op}' takes a non-empty list or @SET, got {type_name(value)}")
                return _INVALID
            checked = [self._scalar(fact, op, item, bad) for item in value]
            return _INVALID if _INVALID in checked else frozenset(checked)
        if op in ORDERING and fact.type is not FactType.NUMBER:
            bad(f"'{op}' compares numbers; fact {fact.name!r} is {fact.type.value}")
            return _INVALID
        return self._scalar(fact, op, value, bad)

    def _scalar(self, fact: Fact, op: str, value: Any, bad: Callable[[str], None]) -> Any:
        if fact.type is FactType.FLAG:
            if op not in ("eq", "ne") or not isinstance(value, bool):
                bad(f"fact {fact.name!r} is true/false: use eq or ne with true or false, got {value!r}")
                return _INVALID
            return value
        if fact.type is FactType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                bad(f"fact {fact.name!r} is a number, got {type_name(value)} {value!r}")
                return _INVALID
            return float(value)
        if not isinstance(value, str):
            bad(f"fact {fact.name!r} is text, got {type_name(value)} {value!r}")
            return _INVALID
        allowed = self.intents if fact.name == "intent" and self.intents is not None else fact.values
        if allowed is not None and value not in allowed:
            bad(f"{value!r} is not a value of {fact.name!r}; expected one of {', '.join(sorted(allowed))}")
            return _INVALID
        return value


_INVALID = object()


def _predicate(name: str, op: str, value: Any, nullable: bool) -> Predicate:
    """One comparison; with an unknown (None) fact every comparison is false."""
    tests: dict[str, Callable[[Any], bool]] = {
        "eq": lambda x: x == value,
        "ne": lambda x: x != value,
        "in": lambda x: x in value,
        "notIn": lambda x: x not in value,
        "lt": lambda x: x < value,
        "lte": lambda x: x <= value,
        "gt": lambda x: x > value,
        "gte": lambda x: x >= value,
        "has": lambda x: value in x,
    }
    test = tests[op]
    if not nullable:
        return lambda facts: test(facts[name])

    def known_and(facts: Facts) -> bool:
        actual = facts[name]
        return actual is not None and test(actual)

    return known_and
