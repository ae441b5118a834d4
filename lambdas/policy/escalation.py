"""The escalation policy: which queue, which Connect priority, when to call back, what the agent hears.

Data, in the same store and condition language (`conditions`) as the IVR rules, over the handoff's
view of the fact catalogue (`facts.HANDOFF_FACTS`). Queue rules: first match wins. Priority: `base`
plus every matching adjustment (negative = sooner), clamped to [min, max] with min ≥ 1, as
Connect's routing priority is 1 for the most urgent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from lambdas.policy.conditions import ConditionCompiler, Predicate, parse_sets
from lambdas.policy.facts import HANDOFF_FACTS
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

KIND = "tandem/escalation-policy"
HINT = "@hint"  # a queue rule's queue that means "the queue the decision suggested"


class QueueRule(NamedTuple):
    id: str
    queue: str  # a declared queue, or HINT
    reason: str
    matches: Predicate


class Adjustment(NamedTuple):
    id: str
    change: int
    reason: str
    matches: Predicate


class CallbackSettings(NamedTuple):
    queue: str
    wait_threshold_seconds: float
    closing_soon_minutes: float
    dedupe_window_minutes: float
    average_handle_seconds: float


class WhisperSettings(NamedTuple):
    max_chars: int
    tiers: Mapping[str, str]
    unknown_caller: str
    reason_phrases: Mapping[str, str]


class EscalationPolicy(NamedTuple):
    revision: str
    queues: tuple[str, ...]
    default_queue: str
    queue_rules: tuple[QueueRule, ...]
    base_priority: int
    min_priority: int
    max_priority: int
    adjustments: tuple[Adjustment, ...]
    callback: CallbackSettings
    whisper: WhisperSettings


def parse_policy(document: Any) -> EscalationPolicy:
    problems = Problems()
    top = ("queues", "defaultQueue", "queueRules", "priority", "callback", "whisper")
    if not check_keys(
        problems,
        "",
        document,
        required=HEADER_FIELDS[:3] + top,
        optional=(*HEADER_FIELDS[3:], "sets", "definitions"),
    ):
        problems.raise_if_any()
    check_header(problems, document, KIND)
    queues = document.get("queues")
    if (
        not isinstance(queues, list)
        or not queues
        or not all(isinstance(q, str) and QUEUE.match(q) for q in queues)
    ):
        problems.add("queues", "must be a non-empty list of queue names like general")
        queues = []
    default_queue = _queue(problems, "defaultQueue", document.get("defaultQueue"), queues)
    sets = parse_sets(problems, document.get("sets", {}))
    compiler = ConditionCompiler(problems, None, sets, catalogue=HANDOFF_FACTS)
    compiler.define_all(document.get("definitions", {}))
    queue_rules = _queue_rules(problems, document.get("queueRules"), compiler, queues)
    base, low, high, adjustments = _priority(problems, document.get("priority"), compiler)
    callback = _callback(problems, document.get("callback"), queues)
    whisper = _whisper(problems, document.get("whisper"))
    problems.raise_if_any()
    assert callback is not None and whisper is not None
    return EscalationPolicy(
        document["revision"],
        tuple(queues),
        default_queue,
        queue_rules,
        base,
        low,
        high,
        adjustments,
        callback,
        whisper,
    )


def _queue(
    problems: Problems, where: str, value: Any, queues: list[str], *, hint_allowed: bool = False
) -> str:
    if hint_allowed and value == HINT:
        return HINT
    if not isinstance(value, str) or value not in queues:
        problems.add(where, f"queue {value!r} is not declared in queues")
        return ""
    return value


def _identified(problems: Problems, kind: str, index: int, raw: Any, seen: set[str]) -> str:
    rule_id = raw.get("id") if isinstance(raw, Mapping) else None
    where = f"{kind} {rule_id!r} ({kind}s[{index}])" if isinstance(rule_id, str) else f"{kind}s[{index}]"
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id) or rule_id in seen:
        problems.add(f"{where} field id", "must be a unique id of lower-case letters, digits and hyphens")
    seen.add(str(rule_id))
    return where


def _reason(problems: Problems, where: str, raw: Mapping[str, Any]) -> str:
    reason = raw.get("reason")
    if not isinstance(reason, str) or not CODE.match(reason):
        problems.add(f"{where} field reason", f"must be a code like VIP_CUSTOMER, got {reason!r}")
        return ""
    return reason


def _queue_rules(
    problems: Problems, value: Any, compiler: ConditionCompiler, queues: list[str]
) -> tuple[QueueRule, ...]:
    if not isinstance(value, list):
        problems.add("queueRules", f"must be a list, got {type_name(value)}")
        return ()
    rules: list[QueueRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        where = _identified(problems, "queueRule", i, raw, seen)
        if not check_keys(
            problems, where, raw, required=("id", "when", "queue", "reason"), optional=("description",)
        ):
            continue
        matches = compiler.condition(raw["when"], where, "when", 0)
        queue = _queue(problems, f"{where} field queue", raw["queue"], queues, hint_allowed=True)
        reason = _reason(problems, where, raw)
        if matches is not None and queue and reason:
            rules.append(QueueRule(raw["id"], queue, reason, matches))
    return tuple(rules)


def _priority(
    problems: Problems, value: Any, compiler: ConditionCompiler
) -> tuple[int, int, int, tuple[Adjustment, ...]]:
    if not check_keys(problems, "priority", value, required=("base", "min", "max", "adjustments")):
        return 5, 1, 9, ()
    numbers = {}
    for key in ("base", "min", "max"):
        number = value[key]
        if type(number) is not int or not 1 <= number <= 99:
            problems.add(join("priority", key), f"must be a whole number from 1 to 99, got {number!r}")
            number = 5
        numbers[key] = number
    if not numbers["min"] <= numbers["base"] <= numbers["max"]:
        problems.add("priority", "needs min <= base <= max")
    adjustments: list[Adjustment] = []
    raw_list = value["adjustments"]
    if not isinstance(raw_list, list):
        problems.add("priority.adjustments", f"must be a list, got {type_name(raw_list)}")
        raw_list = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_list):
        where = _identified(problems, "adjustment", i, raw, seen)
        if not check_keys(
            problems, where, raw, required=("id", "when", "change", "reason"), optional=("description",)
        ):
            continue
        change = raw["change"]
        if type(change) is not int or not -10 <= change <= 10:
            problems.add(f"{where} field change", f"must be a whole number from -10 to 10, got {change!r}")
            continue
        matches = compiler.condition(raw["when"], where, "when", 0)
        reason = _reason(problems, where, raw)
        if matches is not None and reason:
            adjustments.append(Adjustment(raw["id"], change, reason, matches))
    return numbers["base"], numbers["min"], numbers["max"], tuple(adjustments)


def _callback(problems: Problems, value: Any, queues: list[str]) -> CallbackSettings | None:
    fields = (
        "queue",
        "waitThresholdSeconds",
        "closingSoonMinutes",
        "dedupeWindowMinutes",
        "averageHandleSeconds",
    )
    if not check_keys(problems, "callback", value, required=fields):
        return CallbackSettings("", 0, 0, 0, 0)
    numbers: dict[str, float] = {}
    for key in fields[1:]:
        number = value[key]
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= 86_400:
            problems.add(join("callback", key), f"must be a number from 0 to 86400, got {number!r}")
            number = 0
        numbers[key] = float(number)
    return CallbackSettings(
        _queue(problems, "callback.queue", value["queue"], queues),
        numbers["waitThresholdSeconds"],
        numbers["closingSoonMinutes"],
        numbers["dedupeWindowMinutes"],
        numbers["averageHandleSeconds"] or 1.0,
    )


def _whisper(problems: Problems, value: Any) -> WhisperSettings | None:
    if not check_keys(
        problems, "whisper", value, required=("maxChars", "tiers", "unknownCaller", "reasonPhrases")
    ):
        return WhisperSettings(0, {}, "", {})
    max_chars = value["maxChars"]
    if type(max_chars) is not int or not 40 <= max_chars <= 1000:
        problems.add("whisper.maxChars", f"must be a whole number from 40 to 1000, got {max_chars!r}")
    for key in ("tiers", "reasonPhrases"):
        table = value[key]
        if not isinstance(table, Mapping) or not all(isinstance(v, str) and v for v in table.values()):
            problems.add(join("whisper", key), "must be an object of code → text")
    if not isinstance(value["unknownCaller"], str) or not value["unknownCaller"]:
        problems.add("whisper.unknownCaller", "must be text")
    tiers, phrases = value["tiers"], value["reasonPhrases"]
    return WhisperSettings(
        max_chars if type(max_chars) is int else 0,
        dict(tiers) if isinstance(tiers, Mapping) else {},
        str(value["unknownCaller"]),
        dict(phrases) if isinstance(phrases, Mapping) else {},
    )
