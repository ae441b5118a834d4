"""Deciding stored decisions again with candidate documents, through the Lambda's own `decide`.

The candidate set is the given documents, and for the others what the store serves now (or, when the
store holds none, the bundled default, as the function would serve). Each stored context is decided
again; a decision has changed when its route, deciding rule or queue differ (the `CallMove` contract).
What a call ended with is its last decision: one `CallMove` per call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lambdas.documents.registry import Parsed, bundled_defaults
from lambdas.ivr_decision.decide import Decision, Documents, decide
from tandem.replay.contexts import StoredDecision
from tandem.replay.model import CallMove

IVR_DOCUMENTS = ("rules", "content", "calendar")  # what a decision is made with
SAMPLE_SIZE = 10
CANDIDATE, STORE, BUNDLED = "candidate", "store", "bundled"


def candidate_documents(store: Mapping[str, Parsed], candidates: Mapping[str, Parsed]) -> Documents:
    """The given documents, then the store's, then the bundled defaults: a full set for `decide`."""
    chosen: dict[str, Parsed] = {}
    sources: dict[str, str] = {}
    missing = [n for n in IVR_DOCUMENTS if n not in candidates and n not in store]
    bundled = bundled_defaults(tuple(missing)) if missing else {}
    for name in IVR_DOCUMENTS:
        for source, documents in ((CANDIDATE, candidates), (STORE, store), (BUNDLED, bundled)):
            if name in documents:
                chosen[name], sources[name] = documents[name], source
                break
    return Documents(
        rules=chosen["rules"].value,  # type: ignore[arg-type]
        content=chosen["content"].value,  # type: ignore[arg-type]
        calendar=chosen["calendar"].value,  # type: ignore[arg-type]
        sources=sources,
    )


@dataclass(frozen=True)
class ChangedDecision:
    """One changed decision, both ways, with its reasons."""

    stored: StoredDecision
    replayed: Decision

    def to_dict(self) -> dict[str, object]:
        stored, replayed = self.stored, self.replayed
        return {
            "initialContactId": stored.initial_contact_id,
            "contactId": stored.contact_id,
            "decidedAt": stored.decided_at.isoformat(),
            "intent": stored.context.facts["intent"],
            "observed": {
                "route": stored.route,
                "ruleId": stored.rule_id,
                "queue": stored.queue,
                "reasons": list(stored.reasons),
                "rulesRevision": stored.rules_revision,
            },
            "replayed": {
                "route": replayed.route.value,
                "ruleId": replayed.rule_id,
                "queue": replayed.queue,
                "reasons": list(replayed.reasons),
            },
        }


@dataclass
class RuleShift:
    observed: int = 0  # decisions the rule decided
    replayed: int = 0  # decisions it decides in the replay
    gained: int = 0  # of those, decided by another rule before
    lost: int = 0  # decisions it decided that another rule decides now


@dataclass
class Replay:
    decisions: int = 0
    changed: int = 0
    reasons_changed: int = 0  # same route, rule and queue, different reasons
    # Of those, decided by an experiment's challenger: the champion's rules replay them differently
    # by design, so the self-check leaves them out.
    challenger_changed: int = 0
    challenger_reasons_changed: int = 0
    route_changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to) → decisions
    rules: dict[str, RuleShift] = field(default_factory=dict)
    sample: list[ChangedDecision] = field(default_factory=list)
    moves: list[CallMove] = field(default_factory=list)  # one per call: its last decision

    @property
    def calls_changed(self) -> int:
        return sum(1 for move in self.moves if move.changed)

    def rule_shifts(self) -> dict[str, RuleShift]:
        """The rules that gained or lost decisions, most moved first."""
        moved = {rule: s for rule, s in self.rules.items() if s.gained or s.lost}
        return dict(sorted(moved.items(), key=lambda kv: (-(kv[1].gained + kv[1].lost), kv[0])))


def replay(
    decisions: Sequence[StoredDecision], documents: Documents, sample_size: int = SAMPLE_SIZE
) -> Replay:
    """Decide every stored decision again (oldest first, as `read_decisions` gives them)."""
    result = Replay(decisions=len(decisions))
    last: dict[str, tuple[StoredDecision, Decision]] = {}
    rules = result.rules
    for stored in decisions:
        decided = decide(stored.context, documents)
        observed_rule, replayed_rule = stored.rule_id, decided.rule_id
        route = decided.route.value
        result.route_changes[(stored.route, route)] += 1
        _shift(rules, observed_rule).observed += 1
        _shift(rules, replayed_rule).replayed += 1
        challenger = stored.variant == "challenger"
        if (route, replayed_rule, decided.queue) != (stored.route, observed_rule, stored.queue):
            result.changed += 1
            result.challenger_changed += challenger
            if observed_rule != replayed_rule:
                rules[observed_rule].lost += 1
                rules[replayed_rule].gained += 1
            if len(result.sample) < sample_size:
                result.sample.append(ChangedDecision(stored, decided))
        elif decided.reasons != stored.reasons:
            result.reasons_changed += 1
            result.challenger_reasons_changed += challenger
        previous = last.get(stored.initial_contact_id)
        if previous is None or (previous[0].decided_at, previous[0].sort_key) <= (
            stored.decided_at,
            stored.sort_key,
        ):
            last[stored.initial_contact_id] = (stored, decided)
    result.moves = [_move(stored, decided) for stored, decided in last.values()]
    return result


def _shift(rules: dict[str, RuleShift], rule_id: str) -> RuleShift:
    shift = rules.get(rule_id)
    if shift is None:
        shift = rules[rule_id] = RuleShift()
    return shift


def _move(stored: StoredDecision, decided: Decision) -> CallMove:
    return CallMove(
        initial_contact_id=stored.initial_contact_id,
        decided_at=stored.decided_at,
        intent=stored.context.facts["intent"] or "",
        observed_route=stored.route,
        replayed_route=decided.route.value,
        observed_rule=stored.rule_id,
        replayed_rule=decided.rule_id,
        observed_queue=stored.queue or None,
        replayed_queue=decided.queue or None,
    )
