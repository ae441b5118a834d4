"""The handoff operation: choose queue, estimate the wait, choose priority and callback, write the
handoff (one call), answer with ARNs, the whisper and the screen-pop fields.

An offered callback is checked against the number's claim in the same write
(`lambdas.escalation.handoff_store`). Without the claim's key the callback is still offered,
unchecked: the answer says `dedupeUnavailable` (and why, `dedupeReason`), one WARNING names the
error, and `CallbackDedupeUnavailable` counts it by reason. A rare duplicate callback beats a lost one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lambdas.documents.store import refresh_when_due
from lambdas.escalation.callback_claims import claim_key
from lambdas.escalation.context import HandoffContext, build_handoff_context, queue_values
from lambdas.escalation.deps import REPORTER, EscalationDeps, callback_hasher, logger, metrics
from lambdas.escalation.handoff_store import NOT_WRITTEN, HandoffWrite, handoff_item, record_handoff
from lambdas.escalation.plan import HandoffPlan, choose_callback, choose_priority, choose_queue, whisper
from lambdas.escalation.queue_metrics import QueueSnapshot, estimate_wait_seconds, snapshot_from_flow
from lambdas.policy.calendar import Calendar
from lambdas.policy.escalation import EscalationPolicy
from lambdas.shared.budget import Deadline, run_within
from lambdas.shared.event import ContactEvent
from lambdas.shared.keyed_hash import KeyedHasher
from lambdas.shared.observability import MetricUnit, single_metric
from lambdas.shared.response import Status, flat_response, to_flow_value

MAX_REASON_METRICS = 8
# Connect's queue metrics may take this much of the budget (one attempt of CONNECT_LIMITS is 0.9 s;
# a slower answer is no answer); the rest is kept for the handoff write, the record of the call.
METRICS_BUDGET_MS = 600
# The longest wait worth stating; the flow's own estimate must be below it. Queue counts the flow
# passes are unbounded, and an estimate from them beyond DynamoDB's number range lost the handoff.
MAX_WAIT_SECONDS = 1e6


def hand_off(event: ContactEvent, deps: EscalationDeps, lambda_context: Any) -> dict[str, str]:
    started = time.perf_counter()
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    refresh_when_due(deps.store, deadline, REPORTER)  # a bounded share of the budget
    snapshot = deps.store.snapshot()  # policy and calendar from one set
    policy: EscalationPolicy = snapshot.get("escalation").value  # type: ignore[assignment]
    calendar: Calendar = snapshot.get("calendar").value  # type: ignore[assignment]
    degraded = REPORTER.degraded_reason(snapshot)
    now = deps.clock()
    plan = _plan(deps, event, deadline, policy=policy, calendar=calendar, now=now)
    item = handoff_item(
        event, plan, policy_revision=policy.revision, now=now, ttl_days=deps.config.interaction_ttl_days
    )
    number = plan.context.caller_e164 if plan.offers_callback else ""
    hasher, dedupe_problem = callback_hasher(deps, deadline) if number else (None, "")
    if dedupe_problem:
        item["dedupeUnavailable"] = dedupe_problem
    written = _write(deps, deadline, event, item, number=number, hasher=hasher, now=now)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    _observe(plan, written, dedupe_problem=dedupe_problem, degraded=degraded, elapsed_ms=elapsed_ms)
    fields = _response_fields(plan, written, policy, deps.config.queue_arns)
    return flat_response(
        Status.DEGRADED if degraded else Status.OK,  # bundled policy: the same handoff, and why
        {
            **fields,
            "dedupeUnavailable": bool(dedupe_problem),
            "dedupeReason": dedupe_problem,
            "degradedReason": degraded or None,
        },
    )


def _plan(
    deps: EscalationDeps,
    event: ContactEvent,
    deadline: Deadline,
    *,
    policy: EscalationPolicy,
    calendar: Calendar,
    now: datetime,
) -> HandoffPlan:
    """Queue first (queue rules see the wait only when the flow passed one), then the wait for that
    queue, then priority and callback decided with it."""
    context = build_handoff_context(event)
    facts = context.facts
    facts["hours"] = calendar.status_at(now, deps.config.time_zone).hours
    facts["minutesUntilClose"] = calendar.minutes_until_close(now, deps.config.time_zone)
    queue = choose_queue(facts, policy)
    wait, wait_source = _estimate_wait(deps, event, queue.queue, policy, deadline)
    facts["estimatedWaitSeconds"] = wait
    priority = choose_priority(facts, policy)
    callback = choose_callback(facts, policy)
    return HandoffPlan(context, queue, priority, callback, wait, wait_source)


def _estimate_wait(
    deps: EscalationDeps, event: ContactEvent, queue: str, policy: EscalationPolicy, deadline: Deadline
) -> tuple[float | None, str]:
    """The flow's estimate, else from the metrics it passed, else (only then) from Connect."""
    raw = event.value("estimatedWaitSeconds")
    try:
        given = float(raw) if raw else None
    except ValueError:
        given = None
    if given is not None and 0 <= given < MAX_WAIT_SECONDS:
        return given, "flow"
    aht = policy.callback.average_handle_seconds
    snapshot: QueueSnapshot | None = snapshot_from_flow(queue_values(event))
    if snapshot is None:
        try:
            # A share of the budget, not all of it: the handoff write after it must still fit.
            snapshot = run_within(
                deadline.sooner(METRICS_BUDGET_MS), lambda: deps.queue_metrics.snapshot(queue)
            )
        except Exception:
            snapshot = None
        if snapshot is None:
            problem = deps.queue_metrics.last_problem or "TIMEOUT"
            metrics.add_metric(name="QueueMetricsUnavailable", unit=MetricUnit.Count, value=1)
            logger.warning(
                "queue metrics unavailable",
                extra={"problem": problem, "error_type": deps.queue_metrics.last_error or problem},
            )
            return None, "none"
    estimate = estimate_wait_seconds(snapshot, aht)
    return (None if estimate is None else min(estimate, MAX_WAIT_SECONDS)), snapshot.source


def _write(
    deps: EscalationDeps,
    deadline: Deadline,
    event: ContactEvent,
    item: dict[str, Any],
    *,
    number: str,
    hasher: KeyedHasher | None,
    now: datetime,
) -> HandoffWrite:
    """Write the handoff; with the number of an offered callback, checked against its claim, or,
    without the key, offered unchecked."""
    check_claim = claim_key(hasher, number) if number and hasher else None
    try:
        return run_within(
            deadline,
            lambda: record_handoff(
                deps.dynamodb,
                deps.config.interactions_table,
                item,
                contact_id=event.contact_id,
                check_claim=check_claim,
                unchecked_offer=bool(number) and hasher is None,
                now=now,
            ),
        )
    except Exception as error:
        # Without the record there is no proof the callback is unique: offer none, send to a person.
        logger.warning("handoff not recorded", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="HandoffWriteFailures", unit=MetricUnit.Count, value=1)
        return NOT_WRITTEN


def _observe(
    plan: HandoffPlan, written: HandoffWrite, *, dedupe_problem: str, degraded: str, elapsed_ms: float
) -> None:
    """One log line and the handoff's metrics."""
    offered = plan.offers_callback and written.callback_available
    logger.info(
        "handoff",
        extra={
            "queue": plan.queue.queue,
            "queue_reason": plan.queue.reason,
            "priority": plan.priority.priority,
            "priority_reasons": list(plan.priority.reasons),
            "callback_reason": plan.callback.reason,
            "callback_offered": offered,
            "callback_pending": written.callback_pending,
            "wait_seconds": plan.wait_seconds,
            "wait_source": plan.wait_source,
            "tier": plan.context.facts["tier"],
            "signal_problems": plan.context.problems,
            "recorded": written.recorded,
            "dedupe_unavailable": dedupe_problem,
            "degraded_reason": degraded,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="Handoffs", unit=MetricUnit.Count, value=1)
    _count_reasons(plan.context.reasons)
    metrics.add_metric(name="HandoffLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if offered:
        metrics.add_metric(name="CallbacksOffered", unit=MetricUnit.Count, value=1)
    if written.callback_pending:
        metrics.add_metric(name="CallbacksDeduplicated", unit=MetricUnit.Count, value=1)


def _count_reasons(reasons: tuple[str, ...]) -> None:
    """`EscalationReasons` by `reason`, so the dashboard ranks why callers reach people.

    One EMF line per reason (a dimension per metric needs its own line); reasons are the policy's
    codes, a short fixed set, so the dimension's cardinality stays small.
    """
    for reason in reasons[:MAX_REASON_METRICS]:
        with single_metric(name="EscalationReasons", unit=MetricUnit.Count, value=1) as metric:
            metric.add_dimension(name="reason", value=reason)


def _response_fields(
    plan: HandoffPlan, written: HandoffWrite, policy: EscalationPolicy, arns: Mapping[str, str]
) -> dict[str, Any]:
    """What the flow gets: the queue and its ARN, priority, the callback offer, wait, whisper, screen pop."""
    offered = plan.offers_callback and written.callback_available
    wait = plan.wait_seconds
    callback_queue = policy.callback.queue
    return {
        "queue": plan.queue.queue,
        "queueArn": arns.get(plan.queue.queue) or arns.get(policy.default_queue, ""),
        "queueReason": plan.queue.reason,
        "priority": plan.priority.priority,
        "priorityReasons": ",".join(plan.priority.reasons),
        "offerCallback": offered,
        "callbackQueue": callback_queue if offered else "",
        "callbackQueueArn": arns.get(callback_queue, "") if offered else "",
        "callbackReason": plan.callback.reason if offered else "",
        "callbackPending": written.callback_pending,
        "callbackPossible": plan.callback.possible,
        "estimatedWaitSeconds": "" if wait is None else round(wait),
        "estimatedWaitMinutes": "" if wait is None else math.ceil(wait / 60),
        "waitSource": plan.wait_source,
        "whisper": whisper(plan.context, policy),
        **_screen_pop(plan.context),
        "policyRevision": policy.revision,
        "signalProblems": ",".join(plan.context.problems),
        "handoffRecorded": written.recorded,
    }


def _screen_pop(context: HandoffContext) -> dict[str, Any]:
    facts, profile = context.facts, context.profile
    return {
        "customerId": profile.customer_id,
        "firstName": profile.first_name,
        "tier": facts["tier"],
        "intent": facts["intent"],
        "reasons": ",".join(context.reasons),
        "sentiment": facts["sentiment"],
        "failedAttempts": to_flow_value(facts["failedAttempts"]),
        "recentContacts72h": to_flow_value(facts["recentContacts72h"]),
        "openComplaints": to_flow_value(facts["openComplaints"]),
        "latestOrderId": profile.latest_order_id,
        "latestOrderStatus": profile.latest_order_status,
    }
