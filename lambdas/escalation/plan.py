"""The handoff plan: queue, priority, callback and the agent's whisper. Pure: no AWS, no clock.

The queue is chosen first (queue rules see the wait only when the flow passed one), then the wait
for that queue is estimated (`lambdas.escalation.handoff`), then priority and callback are decided with it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from lambdas.escalation.context import HandoffContext, Profile
from lambdas.policy.escalation import HINT, EscalationPolicy

NO_DIGIT_RUNS = re.compile(r"\d{6,}")  # nothing that could be a phone number reaches a whisper
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


class QueueChoice(NamedTuple):
    queue: str
    reason: str  # the queue rule's reason, DECISION_QUEUE, or DEFAULT_QUEUE


class PriorityChoice(NamedTuple):
    priority: int
    reasons: tuple[str, ...]  # the adjustments that applied


class CallbackChoice(NamedTuple):
    wanted: bool  # the situation calls for a callback
    reason: str  # DECISION, LONG_WAIT, CLOSING_SOON, CLOSED, or "" when not wanted
    possible: bool  # the caller can be called back (a voice call from a real number)


class HandoffPlan(NamedTuple):
    """What the handoff decided, with the context and the wait estimate it was decided from."""

    context: HandoffContext
    queue: QueueChoice
    priority: PriorityChoice
    callback: CallbackChoice
    wait_seconds: float | None
    wait_source: str

    @property
    def offers_callback(self) -> bool:
        return self.callback.wanted and self.callback.possible


def choose_queue(facts: dict[str, Any], policy: EscalationPolicy) -> QueueChoice:
    hint = facts["queueHint"]
    for rule in policy.queue_rules:
        if rule.matches(facts):
            if rule.queue != HINT:
                return QueueChoice(rule.queue, rule.reason)
            if hint in policy.queues:
                return QueueChoice(hint, rule.reason)
    return QueueChoice(policy.default_queue, "DEFAULT_QUEUE")


def choose_priority(facts: dict[str, Any], policy: EscalationPolicy) -> PriorityChoice:
    applied = [a for a in policy.adjustments if a.matches(facts)]
    raw = policy.base_priority + sum(a.change for a in applied)
    # Lower is sooner in Connect; never below 1, never past the policy's bounds.
    priority = max(policy.min_priority, 1, min(policy.max_priority, raw))
    return PriorityChoice(priority, tuple(dict.fromkeys(a.reason for a in applied)))


def choose_callback(facts: dict[str, Any], policy: EscalationPolicy) -> CallbackChoice:
    settings = policy.callback
    wait = facts["estimatedWaitSeconds"]
    closing = facts["minutesUntilClose"]
    if facts["route"] == "CALLBACK":
        reason = "DECISION"
    elif facts["hours"] != "OPEN":
        reason = "CLOSED"
    elif wait is not None and wait >= settings.wait_threshold_seconds:
        reason = "LONG_WAIT"
    elif closing is not None and closing <= settings.closing_soon_minutes:
        reason = "CLOSING_SOON"
    else:
        reason = ""
    return CallbackChoice(bool(reason), reason, bool(facts["callbackPossible"]))


def whisper(context: HandoffContext, policy: EscalationPolicy) -> str:
    """ "Gold customer Ana, third contact in 72 h, order 1042 DELAYED. Complaint; upset. Self-service
    tried 2 times." — short enough to hear before the caller, and never a phone number."""
    facts, profile, settings = context.facts, context.profile, policy.whisper
    parts = [_who(facts, profile, settings.tiers, settings.unknown_caller)]
    contacts = int(facts["recentContacts72h"])
    if contacts:
        parts.append(f"{ORDINALS.get(contacts + 1, f'{contacts + 1}th')} contact in 72 h")
    if profile.latest_order_id:
        status = profile.latest_order_status.replace("_", " ").lower()
        parts.append(f"order {profile.latest_order_id} {status}".strip())
    sentence = ", ".join(parts) + "."
    phrases = [settings.reason_phrases[r] for r in context.reasons if r in settings.reason_phrases]
    if phrases:
        said = "; ".join(dict.fromkeys(phrases))
        sentence += f" {said[:1].upper()}{said[1:]}."
    attempts = int(facts["failedAttempts"])
    if attempts:
        sentence += f" Self-service tried {attempts} time{'s' if attempts != 1 else ''}."
    if facts["openComplaints"]:
        sentence += f" Open complaints: {int(facts['openComplaints'])}."
    sentence = NO_DIGIT_RUNS.sub("…", sentence)
    return (
        sentence if len(sentence) <= settings.max_chars else sentence[: settings.max_chars - 1].rstrip() + "…"
    )


def _who(facts: dict[str, Any], profile: Profile, tiers: dict[str, str] | Any, unknown: str) -> str:
    if not facts["customerFound"]:
        return unknown
    label = tiers.get(facts["tier"], "Customer")
    name = " ".join(profile.first_name.split())
    return f"{label} {name}".strip()
