"""Which rules can match a caller, found without testing the rules that cannot.

A rule whose condition starts with `{"fact": F, "eq": V}` or `{"fact": F, "in": [...]}` on a text
or flag fact (on its own, as the first part of an `all`, or through a `use`) is false, having
tested nothing else, for every caller whose F is none of those values: `all` tests its first part
first and stops there. The index maps F → value → the positions of such rules. A decision looks up
each indexed fact once and tests only the rules those lookups select plus the rules with no such
leading test, in their original order — the same matching rules, in the same order, as testing
every rule, and the same error if a rule's test would raise.

Looking a value up in a dict agrees with `==` and `in` only for plain values, so a fact holding
anything but text, a flag or None (or missing from the facts) selects every rule indexed by it:
those rules are then tested exactly as a full scan would test them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple

from lambdas.policy.conditions import LeadingTest

# Types whose dict lookup finds exactly the keys they compare equal to.
_PLAIN = (str, bool, type(None))
_MISSING = object()


class _IndexedFact(NamedTuple):
    name: str
    by_value: Mapping[Hashable, tuple[int, ...]]
    every: tuple[int, ...]  # all positions indexed by this fact, for a value the dict cannot judge


class RuleIndex(NamedTuple):
    unindexed: tuple[int, ...]  # rules with no leading test: always candidates
    facts: tuple[_IndexedFact, ...]

    @classmethod
    def build(cls, tests: Sequence[LeadingTest | None]) -> RuleIndex:
        """The index of rules whose leading tests are `tests`, in rule order."""
        unindexed: list[int] = []
        by_fact: dict[str, dict[Hashable, list[int]]] = {}
        every: dict[str, list[int]] = {}
        for position, test in enumerate(tests):
            if test is None:
                unindexed.append(position)
                continue
            every.setdefault(test.fact, []).append(position)
            values = by_fact.setdefault(test.fact, {})
            for value in test.values:
                values.setdefault(value, []).append(position)
        facts = tuple(
            _IndexedFact(name, {v: tuple(p) for v, p in values.items()}, tuple(every[name]))
            for name, values in by_fact.items()
        )
        return cls(tuple(unindexed), facts)

    def candidates(self, facts: Mapping[str, Any]) -> list[int]:
        """Positions, ascending, of every rule that can match `facts`."""
        picked = list(self.unindexed)
        for fact in self.facts:
            actual = facts.get(fact.name, _MISSING)
            if type(actual) in _PLAIN:
                picked += fact.by_value.get(actual, ())
            else:
                picked += fact.every
        picked.sort()  # each run is sorted: a merge
        return picked
