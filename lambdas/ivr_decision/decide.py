"""The decision: pure, explainable, and the same on a laptop as in Lambda.

The first matching rule decides the route, queue and priority. `reasons` starts with the deciding
rule's reason and goes on with the reasons of the other matching rules that agree with it, so the
person taking the call (and escalation's priority) sees the whole picture —
VIP_CUSTOMER,COMPLAINT,NEGATIVE_SENTIMENT — not just the rule that happened to come first:

- SELF_SERVICE lists only self-service reasons;
- AGENT and CALLBACK list the reasons of every AGENT or CALLBACK rule that matched, never a
  machine reason nor a closed-hours one (a callback is not "closed");
- CLOSED lists the closure's reason and what the caller would have gone to an agent for, never a
  callback reason (none is offered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from lambdas.ivr_decision.assignment import CHAMPION, NO_EXPERIMENT
from lambdas.ivr_decision.signals import DecisionContext
from lambdas.policy.calendar import Calendar
from lambdas.policy.content import Content
from lambdas.policy.facts import Route
from lambdas.policy.rules import Action, RuleSet

if TYPE_CHECKING:
    from lambdas.documents.store import Snapshot

MAX_REASONS = 8
DEFAULT_RULE_ID = "default"
NO_ANSWER_REASON = "NO_ANSWER_CONTENT"
CLOSED_MESSAGES = {"EMERGENCY": "CLOSED_EMERGENCY", "HOLIDAY": "CLOSED_HOLIDAY"}


class Documents(NamedTuple):
    """The documents a decision is made with, and where each one came from."""

    rules: RuleSet
    content: Content
    calendar: Calendar
    sources: dict[str, str]  # name → "store" | "bundled"

    @property
    def revision(self) -> str:
        return self.rules.revision

    @classmethod
    def served(cls, snapshot: Snapshot) -> Documents:
        """ivr_decision's three documents, from the store's snapshot (one set for a whole decision)."""
        return cls(
            rules=snapshot.get("rules").value,  # type: ignore[arg-type]
            content=snapshot.get("content").value,  # type: ignore[arg-type]
            calendar=snapshot.get("calendar").value,  # type: ignore[arg-type]
            sources=dict(snapshot.sources),
        )


class Decision(NamedTuple):
    route: Route
    rule_id: str
    reasons: tuple[str, ...]
    queue: str
    priority_change: int
    answer: str  # what the flow speaks; empty when a person takes over straight away
    variant: str = CHAMPION  # which rule set decided (lambdas/ivr_decision/assignment.py)
    experiment_id: str = NO_EXPERIMENT


def decide(context: DecisionContext, documents: Documents) -> Decision:
    rules = documents.rules
    facts = context.facts
    matched = rules.matching(facts)
    if matched:
        winner = matched[0]
        rule_id, action = winner.id, winner.action
    else:
        rule_id, action = DEFAULT_RULE_ID, rules.default_action
    reasons = _unique(
        [r.reason for r in matched if _agrees(r.action.route, action.route)] or [rules.default_reason]
    )
    language = facts["language"] or documents.content.default_language
    content = documents.content

    if action.route is Route.SELF_SERVICE:
        answer = (
            content.answer(facts["intent"], language, context.order)
            if content.has_answer(facts["intent"])
            else ""
        )
        if not answer:
            # A rule sent the caller to self-service but there is nothing to say: a person, not silence.
            fallback = rules.default_action
            return _decision(rule_id, Action(Route.AGENT, fallback.queue), [NO_ANSWER_REASON, *reasons], "")
        return _decision(rule_id, action, reasons, answer)
    if action.route is Route.CLOSED:
        key = CLOSED_MESSAGES.get(facts["hours"], "CLOSED_AFTER_HOURS")
        name = context.closure.name(language, content.default_language) if context.closure else ""
        return _decision(rule_id, action, reasons, content.message(key, language, name))
    if action.route is Route.CALLBACK:
        return _decision(rule_id, action, reasons, content.message("CALLBACK", language))
    return _decision(rule_id, action, reasons, "")


def _agrees(other: Route, decided: Route) -> bool:
    if decided is Route.SELF_SERVICE or other is Route.SELF_SERVICE:
        return other is decided
    if decided is Route.CLOSED:  # the closure, and what the caller came for; a callback is not offered
        return other is not Route.CALLBACK
    return other is not Route.CLOSED


def _decision(rule_id: str, action: Action, reasons: list[str], answer: str) -> Decision:
    return Decision(
        route=action.route,
        rule_id=rule_id,
        reasons=tuple(_unique(reasons)[:MAX_REASONS]),
        queue=action.queue,
        priority_change=action.priority_change,
        answer=answer,
    )


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))
