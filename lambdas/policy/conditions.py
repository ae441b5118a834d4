"""The condition language the rules and the escalation policy are written in, compiled to predicates.

    {"all": [c, ...]}  {"any": [c, ...]}  {"not": c}  {"use": "<definition>"}
    {"fact": "<name>", "<op>": value}   op: eq ne in notIn lt lte gt gte has

`in`/`notIn` take a list or "@SET" naming one of the document's `sets`, and `has` tests a list
fact (such as the handoff's `reasons`) for one code. Each document compiles against its own view
of the one fact catalogue (`facts.DECISION_FACTS`, `facts.HANDOFF_FACTS`); a fact outside it, a
value of the wrong type or outside its enumeration is a problem reported with the owner and the
field path, and nothing invalid is ever compiled.

The compiler also notes each predicate's `LeadingTest`: an `eq`/`in` on a text or flag fact that
is tested first and, when false, makes the whole predicate false without testing anything else.
`rule_index` uses it to skip rules that cannot match a caller.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, NamedTuple

from lambdas.policy.facts import Fact, FactType
from lambdas.policy.validation import CODE, Problems, join, type_name

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

MAX_DEPTH = 10
OPERATORS = ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte", "has")
ORDERING = ("lt", "lte", "gt", "gte")
# Facts whose values are a small set of codes: worth indexing a rule by.
CATEGORICAL = (FactType.TEXT, FactType.FLAG)


class LeadingTest(NamedTuple):
    """A predicate is false, having tested nothing else, whenever `fact` is not one of `values`."""

    fact: str
    values: frozenset[Hashable]


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


class ConditionCompiler:
    """Turns condition JSON into predicates, recording problems instead of stopping at the first.

    `catalogue`: the facts this document may test. `intents`: the declared intents text facts
    named `intent` must use; None accepts any code.
    """

    def __init__(
        self,
        problems: Problems,
        intents: set[str] | None,
        sets: dict[str, list[Any]],
        *,
        catalogue: Mapping[str, Fact],
    ) -> None:
        self.problems = problems
        self.intents = intents
        self.sets = sets
        self.catalogue = catalogue
        self.definitions: dict[str, Predicate] = {}
        self._leading: dict[Predicate, LeadingTest] = {}

    def leading_test(self, predicate: Predicate) -> LeadingTest | None:
        """The test `predicate` (compiled here) starts with, when it is an indexable one."""
        return self._leading.get(predicate)

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
        combined = _every(predicates) if key == "all" else _some(predicates)
        # `all` tests its first part first and stops when it is false; so does a one-part `any`.
        leading = self._leading.get(predicates[0])
        if leading is not None and (key == "all" or len(predicates) == 1):
            self._leading[combined] = leading
        return combined

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
        predicate = _predicate(fact.name, op, value, fact.nullable)
        if op in ("eq", "in") and fact.type in CATEGORICAL:
            self._leading[predicate] = LeadingTest(fact.name, value if op == "in" else frozenset([value]))
        return predicate

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


# Loops rather than all()/any() over a generator: the same order and short-circuit, at about
# half the cost per call.
def _every(predicates: tuple[Predicate, ...]) -> Predicate:
    def every(facts: Facts) -> bool:
        for predicate in predicates:  # noqa: SIM110 (see above)
            if not predicate(facts):
                return False
        return True

    return every


def _some(predicates: tuple[Predicate, ...]) -> Predicate:
    def some(facts: Facts) -> bool:
        for predicate in predicates:  # noqa: SIM110 (see above)
            if predicate(facts):
                return True
        return False

    return some


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
