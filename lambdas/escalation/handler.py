"""Connect-facing entry point: `lambdas.escalation.handler.lambda_handler`.

Thin on purpose: read the handoff, choose queue, estimate the wait, choose priority and callback,
write the record (one call), answer with ARNs, the whisper and the screen-pop fields. Called again
with `operation` = `claimCallback` when the caller takes the callback offered: one conditional
write claims the number (see `recorder`).

The claim is keyed by a keyed hash of the number, whose secret is read from Secrets Manager in the
init phase (`KeyedHashSecret`). Without it the callback still goes ahead, unchecked: the answer
says `dedupeUnavailable` (and why, `dedupeReason`), one WARNING names the error, and
`CallbackDedupeUnavailable` counts it by reason. A rare duplicate callback beats a lost one.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.documents.store import DocumentStore, StoreReporter, open_store, refresh_when_due
from lambdas.escalation.config import EscalationConfig
from lambdas.escalation.context import HandoffContext, build_handoff_context, callback_number, queue_values
from lambdas.escalation.plan import (
    CallbackChoice,
    PriorityChoice,
    choose_callback,
    choose_priority,
    choose_queue,
    whisper,
)
from lambdas.escalation.queue_metrics import (
    ConnectQueueMetrics,
    QueueSnapshot,
    estimate_wait_seconds,
    parse_instance_arn,
    queue_ids,
    snapshot_from_flow,
)
from lambdas.escalation.recorder import claim_callback, claim_key, handoff_key, record_handoff
from lambdas.policy.calendar import Calendar
from lambdas.policy.escalation import EscalationPolicy
from lambdas.shared.aws import ClientLimits, LazyClient, make_client
from lambdas.shared.budget import Deadline, run_within
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.keyed_hash import KeyedHasher
from lambdas.shared.keyed_hash_secret import KeyedHashSecret
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics, single_metric
from lambdas.shared.response import Status, flat_response, to_flow_value

SERVICE = "escalation"
CONNECT_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.6, max_attempts=1)
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=2)
SECRETS_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=1)
DOCUMENTS = ("escalation", "calendar")
FALLBACK_QUEUE = "general"
# The flow calls again with this operation when the caller takes the offered callback.
CLAIM_CALLBACK = "claimCallback"
MAX_REASON_METRICS = 8
# Connect's queue metrics may take this much of the budget (one attempt of CONNECT_LIMITS is 0.9 s;
# a slower answer is no answer); the rest is kept for the handoff write, the record of the call.
METRICS_BUDGET_MS = 600
# The longest wait worth stating; the flow's own estimate must be below it. Queue counts the flow
# passes are unbounded, and an estimate from them beyond DynamoDB's number range lost the handoff.
MAX_WAIT_SECONDS = 1e6
# The keyed-hash secret is read in the init phase within HASH_KEY_INIT_BUDGET_MS (Secrets Manager
# answers in tens of ms). After a failure it is read again at most every HASH_KEY_RETRY_SECONDS,
# by a call that needs it, within HASH_KEY_BUDGET_MS of that call's budget: the rest is kept for
# the handoff or claim write, so a slow Secrets Manager never costs the record of the call.
HASH_KEY_INIT_BUDGET_MS = 1000
HASH_KEY_BUDGET_MS = 300
HASH_KEY_RETRY_SECONDS = 10

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)
REPORTER = StoreReporter(logger, metrics, subject="policy", metric_prefix="Policy")


def utc_now() -> datetime:
    return datetime.now(UTC)


# Replaced by the sandbox and tests to plan "as of" a given moment (closing time, holidays).
clock: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class EscalationDeps:
    config: EscalationConfig
    store: DocumentStore
    queue_metrics: ConnectQueueMetrics
    dynamodb: Any
    hash_secret: KeyedHashSecret


def build_deps() -> EscalationDeps:
    config = EscalationConfig.from_env()
    store = open_store(
        config.config_path,
        DOCUMENTS,
        max_age_seconds=config.max_age_seconds,
        retry_after_failure_seconds=config.retry_after_failure_seconds,
        init_budget_ms=config.budget_ms,
        reporter=REPORTER,
    )
    instance_id = parse_instance_arn(config.instance_arn)
    queue_metrics = ConnectQueueMetrics(
        LazyClient("connect-slim", CONNECT_LIMITS),
        instance_id,
        queue_ids(config.queue_arns, instance_id),
        requests_per_second=config.metrics_requests_per_second,
    )
    hash_secret = KeyedHashSecret(
        make_client("secretsmanager-slim", SECRETS_LIMITS),
        config.keyed_hash_secret,
        retry_after_seconds=HASH_KEY_RETRY_SECONDS,
    )
    hash_secret.hasher(Deadline.after_ms(HASH_KEY_INIT_BUDGET_MS))  # a failure is retried when needed
    return EscalationDeps(config, store, queue_metrics, make_client("dynamodb", DYNAMODB_LIMITS), hash_secret)


CONTAINER = Container(build_deps)
CONTAINER.warm()


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return run_connect_handler(
        event, context, logger=logger, metrics=metrics, logic=_escalate, fallback=_fallback
    )


def _escalate(event: ContactEvent, lambda_context: Any) -> dict[str, str]:
    if event.parameters.get("operation") == CLAIM_CALLBACK:
        return _claim_callback(event, lambda_context)
    started = time.perf_counter()
    deps = CONTAINER.get()  # a ConfigError becomes DEGRADED/CONFIG in run_connect_handler
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    refresh_when_due(deps.store, deadline, REPORTER)  # a bounded share of the budget
    snapshot = deps.store.snapshot()  # policy and calendar from one set
    policy: EscalationPolicy = snapshot.get("escalation").value  # type: ignore[assignment]
    calendar: Calendar = snapshot.get("calendar").value  # type: ignore[assignment]
    degraded = REPORTER.degraded_reason(snapshot)
    now = clock()

    context = build_handoff_context(event)
    facts = context.facts
    hours = calendar.status_at(now, deps.config.time_zone)
    facts["hours"] = hours.hours
    facts["minutesUntilClose"] = calendar.minutes_until_close(now, deps.config.time_zone)
    queue = choose_queue(facts, policy)
    wait, wait_source = _estimate_wait(deps, event, queue.queue, policy, deadline)
    facts["estimatedWaitSeconds"] = wait
    priority = choose_priority(facts, policy)
    callback = choose_callback(facts, policy)
    offer = callback.wanted and callback.possible

    item = _handoff_item(
        event, context, queue=queue.queue, queue_reason=queue.reason, priority=priority, callback=callback,
        offer=offer, wait=(wait, wait_source), policy=policy, now=now,
        ttl_days=deps.config.interaction_ttl_days,
    )  # fmt: skip
    number = context.caller_e164 if offer else ""
    hasher, dedupe_problem = _callback_hasher(deps, deadline) if number else (None, "")
    if dedupe_problem:
        item["dedupeUnavailable"] = dedupe_problem
    outcome = _record(deps, deadline, event, item, number=number, hasher=hasher, now=now)
    offered = offer and outcome.get("available", False)
    pending = outcome.get("pending", False)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info(
        "handoff",
        extra={
            "queue": queue.queue,
            "queue_reason": queue.reason,
            "priority": priority.priority,
            "priority_reasons": list(priority.reasons),
            "callback_reason": callback.reason,
            "callback_offered": offered,
            "callback_pending": pending,
            "wait_seconds": wait,
            "wait_source": wait_source,
            "tier": facts["tier"],
            "signal_problems": context.problems,
            "recorded": outcome.get("recorded", False),
            "dedupe_unavailable": dedupe_problem,
            "degraded_reason": degraded,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="Handoffs", unit=MetricUnit.Count, value=1)
    _count_reasons(context.reasons)
    metrics.add_metric(name="HandoffLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if offered:
        metrics.add_metric(name="CallbacksOffered", unit=MetricUnit.Count, value=1)
    if pending:
        metrics.add_metric(name="CallbacksDeduplicated", unit=MetricUnit.Count, value=1)
    arns = deps.config.queue_arns
    callback_queue = policy.callback.queue
    return flat_response(
        Status.DEGRADED if degraded else Status.OK,  # bundled policy: the same handoff, and why
        {
            "queue": queue.queue,
            "queueArn": arns.get(queue.queue) or arns.get(policy.default_queue, ""),
            "queueReason": queue.reason,
            "priority": priority.priority,
            "priorityReasons": ",".join(priority.reasons),
            "offerCallback": offered,
            "callbackQueue": callback_queue if offered else "",
            "callbackQueueArn": arns.get(callback_queue, "") if offered else "",
            "callbackReason": callback.reason if offered else "",
            "callbackPending": pending,
            "callbackPossible": callback.possible,
            "estimatedWaitSeconds": "" if wait is None else round(wait),
            "estimatedWaitMinutes": "" if wait is None else math.ceil(wait / 60),
            "waitSource": wait_source,
            "whisper": whisper(context, policy),
            **_screen_pop(context),
            "policyRevision": policy.revision,
            "signalProblems": ",".join(context.problems),
            "handoffRecorded": outcome.get("recorded", False),
            "dedupeUnavailable": bool(dedupe_problem),
            "dedupeReason": dedupe_problem,
            "degradedReason": degraded or None,
        },
    )


def _count_reasons(reasons: tuple[str, ...]) -> None:
    """`EscalationReasons` by `reason`, so the dashboard ranks why callers reach people.

    One EMF line per reason (a dimension per metric needs its own line); reasons are the policy's
    codes, a short fixed set, so the dimension's cardinality stays small.
    """
    for reason in reasons[:MAX_REASON_METRICS]:
        with single_metric(name="EscalationReasons", unit=MetricUnit.Count, value=1) as metric:
            metric.add_dimension(name="reason", value=reason)


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


def _handoff_item(
    event: ContactEvent,
    context: HandoffContext,
    *,
    queue: str,
    queue_reason: str,
    priority: PriorityChoice,
    callback: CallbackChoice,
    offer: bool,
    wait: tuple[float | None, str],
    policy: EscalationPolicy,
    now: datetime,
    ttl_days: int,
) -> dict[str, Any]:
    """The handoff as stored: reasons, queue, priority, callback decision, facts — no name, no number."""
    facts = context.facts
    stored_facts = {
        k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in facts.items() if v is not None
    }
    return {
        **handoff_key(event.correlation_id, event.contact_id),
        "type": "HANDOFF",
        "contactId": event.contact_id,
        "initialContactId": event.correlation_id,
        "decidedAt": now.isoformat(timespec="milliseconds"),
        "queue": queue,
        "queueReason": queue_reason,
        "priority": priority.priority,
        "priorityReasons": list(priority.reasons),
        "reasons": list(context.reasons),
        "callbackWanted": callback.wanted,
        "callbackReason": callback.reason,
        "callbackOffered": offer,
        "callbackPending": False,
        "waitSeconds": wait[0],
        "waitSource": wait[1],
        "context": stored_facts,
        "policyRevision": policy.revision,
        "expiresAt": int((now + timedelta(days=ttl_days)).timestamp()),
    }


def _callback_hasher(deps: EscalationDeps, deadline: Deadline) -> tuple[KeyedHasher | None, str]:
    """The key for the number's claim, or None and why not (logged once, counted by reason)."""
    hasher = deps.hash_secret.hasher(deadline.sooner(HASH_KEY_BUDGET_MS))
    if hasher is not None:
        return hasher, ""
    problem = deps.hash_secret.problem or "UNAVAILABLE"
    logger.warning(
        "callback de-duplication unavailable",
        extra={"problem": problem, "error_type": deps.hash_secret.error_type or problem},
    )
    with single_metric(name="CallbackDedupeUnavailable", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="reason", value=problem)
    return None, problem


def _record(
    deps: EscalationDeps,
    deadline: Deadline,
    event: ContactEvent,
    item: dict[str, Any],
    *,
    number: str,
    hasher: KeyedHasher | None,
    now: datetime,
) -> dict[str, bool]:
    """Write the handoff; with the number of an offered callback, checked against its claim, or,
    without the key, offered unchecked."""
    check_claim = claim_key(hasher, number) if number and hasher else None
    try:
        outcome = run_within(
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
        return {"recorded": False, "available": False, "pending": False}
    return {
        "recorded": outcome.recorded,
        "available": outcome.callback_available,
        "pending": outcome.callback_pending,
    }


def _claim_callback(event: ContactEvent, lambda_context: Any) -> dict[str, str]:
    """The caller took the offered callback: claim the number, unless another contact holds it.

    The flow creates the callback unless the answer says `callbackPending` true. When the claim
    cannot be written, or its key cannot be read, the callback goes ahead (`callbackClaimed`
    false): a rare duplicate beats a lost callback the caller was promised. The claim needs only the
    policy's de-duplication window, so it never waits for a store refresh: the whole budget is the
    claim's (the handoff just before it refreshed the policy).
    """
    deps = CONTAINER.get()
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    policy: EscalationPolicy = deps.store.get("escalation").value  # type: ignore[assignment]
    metrics.add_metric(name="CallbackClaimRequests", unit=MetricUnit.Count, value=1)
    number = callback_number(event)
    if not number:
        return flat_response(Status.OK, {"callbackClaimed": False, "callbackPending": False})
    hasher, dedupe_problem = _callback_hasher(deps, deadline)
    if hasher is None:
        return flat_response(
            Status.DEGRADED,
            {
                "callbackClaimed": False,
                "callbackPending": False,
                "degradedReason": "DEDUPE_UNAVAILABLE",
                "dedupeUnavailable": True,
                "dedupeReason": dedupe_problem,
            },
        )
    key = claim_key(hasher, number)
    try:
        claimed = run_within(
            deadline,
            lambda: claim_callback(
                deps.dynamodb,
                deps.config.interactions_table,
                contact_id=event.contact_id,
                key=key,
                now=clock(),
                window=timedelta(minutes=policy.callback.dedupe_window_minutes),
            ),
        )
    except Exception as error:
        logger.warning("callback claim not recorded", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="CallbackClaimFailures", unit=MetricUnit.Count, value=1)
        return flat_response(
            Status.DEGRADED,
            {"callbackClaimed": False, "callbackPending": False, "degradedReason": "STORE_UNAVAILABLE"},
        )
    logger.info("callback claim", extra={"claimed": claimed})
    metrics.add_metric(
        name="CallbacksTaken" if claimed else "CallbacksDeduplicated", unit=MetricUnit.Count, value=1
    )
    return flat_response(Status.OK, {"callbackClaimed": claimed, "callbackPending": not claimed})


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


def _fallback(status: Status, reason: str) -> dict[str, str]:
    """The general queue at the default priority, no callback: a person, never an Error branch."""
    try:
        arn = str(json.loads(os.environ.get("QUEUE_ARNS", "{}")).get(FALLBACK_QUEUE, ""))
    except (ValueError, AttributeError):
        arn = ""
    return flat_response(
        status,
        {
            "queue": FALLBACK_QUEUE,
            "queueArn": arn,
            "priority": 5,
            "offerCallback": False,
            "callbackPending": False,
            "whisper": "",
            "degradedReason" if status is Status.DEGRADED else "invalidReason": reason,
        },
    )
