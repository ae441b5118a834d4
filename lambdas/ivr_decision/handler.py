"""Connect-facing entry point: `lambdas.ivr_decision.handler.lambda_handler`.

Thin on purpose: refresh the documents when due, build the context, decide, record, answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lambdas.documents.store import DocumentStore, StoreReporter, open_store, refresh_when_due
from lambdas.ivr_decision.config import DecisionConfig
from lambdas.ivr_decision.decide import CHAMPION, NO_EXPERIMENT, Decision, Documents, decide
from lambdas.ivr_decision.interaction_store import interaction_item, put_interaction
from lambdas.ivr_decision.signals import DecisionContext, build_context
from lambdas.policy.facts import Route
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import Deadline, run_within
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics
from lambdas.shared.response import Status, flat_response, to_flow_value

SERVICE = "ivr_decision"
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=2)
FALLBACK_QUEUE = "general"

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)
REPORTER = StoreReporter(logger, metrics, subject="rules", metric_prefix="Rules")
DOCUMENTS = ("rules", "content", "calendar")


@dataclass(frozen=True)
class DecisionDeps:
    config: DecisionConfig
    store: DocumentStore
    dynamodb: Any
    clock: Clock = utc_now  # decides "as of" this moment (holidays, opening hours); the sandbox pins it


def build_deps() -> DecisionDeps:
    config = DecisionConfig.from_env()
    store = open_store(
        config.config_path,
        DOCUMENTS,
        max_age_seconds=config.max_age_seconds,
        retry_after_failure_seconds=config.retry_after_failure_seconds,
        init_budget_ms=config.budget_ms,
        reporter=REPORTER,
    )
    return DecisionDeps(config, store, make_client("dynamodb-slim", DYNAMODB_LIMITS))


CONTAINER = Container(build_deps)
CONTAINER.warm()


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return run_connect_handler(
        event, context, logger=logger, metrics=metrics, logic=_decide, fallback=_fallback
    )


def _decide(event: ContactEvent, lambda_context: Any) -> dict[str, str]:
    started = time.perf_counter()
    deps = CONTAINER.get()  # a ConfigError becomes DEGRADED/CONFIG in run_connect_handler
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    refresh_when_due(deps.store, deadline, REPORTER)  # a bounded share of the budget
    snapshot = deps.store.snapshot()  # one set for the whole decision
    documents = Documents.served(snapshot)
    degraded = REPORTER.degraded_reason(snapshot)
    now = deps.clock()
    context = build_context(event, documents.rules, documents.calendar, now, deps.config.time_zone)
    decision = decide(context, documents)
    recorded = _record(
        deps, deadline=deadline, event=event, context=context, decision=decision, documents=documents, now=now
    )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    facts = context.facts
    logger.info(
        "ivr decision",
        extra={
            "route": decision.route.value,
            "rule_id": decision.rule_id,
            "reasons": list(decision.reasons),
            "intent": facts["intent"],
            "intent_source": facts["intentSource"],
            "confidence": facts["confidence"],
            "sentiment": facts["sentiment"],
            "tier": facts["tier"],
            "hours": facts["hours"],
            "signal_problems": context.problems,
            "rules_revision": documents.revision,
            "rules_source": documents.sources["rules"],
            "degraded_reason": degraded,
            "recorded": recorded,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="Decisions", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name=f"Route{decision.route.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    metrics.add_metric(name="DecisionLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if context.problems:
        metrics.add_metric(name="MalformedSignals", unit=MetricUnit.Count, value=len(context.problems))
    fields = response_fields(context, decision, documents, recorded)
    if degraded:  # the bundled documents decided: the same decision, and the flow is told why
        return flat_response(Status.DEGRADED, {**fields, "degradedReason": degraded})
    return flat_response(Status.OK, fields)


def response_fields(
    context: DecisionContext, decision: Decision, documents: Documents, recorded: bool
) -> dict[str, Any]:
    """What the flow gets: the decision, why, and the facts escalation builds on."""
    facts = context.facts
    passed_on = (
        "intent", "intentSource", "confidence", "asksForAgent", "sentiment", "failedAttempts", "tier",
        "customerFound", "recentContacts72h", "openComplaints", "language", "callbackPossible",
        "agentsAvailable", "contactsInQueue", "estimatedWaitSeconds", "hours",
    )  # fmt: skip
    return {
        "route": decision.route,
        "ruleId": decision.rule_id,
        "variant": decision.variant,
        "experimentId": decision.experiment_id,
        "reasons": ",".join(decision.reasons),
        "queue": decision.queue,
        "priorityChange": decision.priority_change,
        "answer": decision.answer,
        **{name: to_flow_value(facts[name]) for name in passed_on},
        "closureName": context.closure.name(facts["language"] or "en") if context.closure else "",
        # Flows cannot add: the flow stores this as failedAttempts when the caller says
        # self-service did not help, and the next decision sees the higher count.
        "attemptsIfUnresolved": to_flow_value(facts["failedAttempts"] + 1),
        "rulesRevision": documents.revision,
        "rulesSource": documents.sources["rules"],
        "signalProblems": ",".join(context.problems),
        "interactionRecorded": recorded,
    }


def _record(
    deps: DecisionDeps,
    *,
    deadline: Deadline,
    event: ContactEvent,
    context: DecisionContext,
    decision: Decision,
    documents: Documents,
    now: datetime,
) -> bool:
    item = interaction_item(
        event, context, decision, documents, now=now, ttl_days=deps.config.interaction_ttl_days
    )
    try:
        run_within(
            deadline,
            lambda: put_interaction(deps.dynamodb, deps.config.interactions_table, item),
        )
    except Exception as error:  # the caller still gets the decision; the gap is counted
        logger.warning("interaction not recorded", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="InteractionWriteFailures", unit=MetricUnit.Count, value=1)
        return False
    return True


def _fallback(status: Status, reason: str) -> dict[str, str]:
    """A person, when nothing better can be decided: never silence, never an Error branch."""
    return flat_response(
        status,
        {
            "route": Route.AGENT,
            "ruleId": "fallback",
            "variant": CHAMPION,
            "experimentId": NO_EXPERIMENT,
            "reasons": reason,
            "queue": FALLBACK_QUEUE,
            "priorityChange": 0,
            "answer": "",
            "degradedReason" if status is Status.DEGRADED else "invalidReason": reason,
        },
    )
