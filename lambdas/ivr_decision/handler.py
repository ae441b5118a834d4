"""Connect-facing entry point: `lambdas.ivr_decision.handler.lambda_handler`.

Thin on purpose: refresh the documents when due, assign the experiment's variant, build the
context, decide, record, answer.

The keyed-hash secret (an experiment's `caller` unit) is read in the init phase when the store
serves an experiment by caller; otherwise the container never reads it. A call never waits for it:
while the key is not at hand (an experiment by caller pushed to a warm container, or a failed init
read), a known caller is left out of the experiment and the read is started in the background (at
most every HASH_KEY_RETRY_SECONDS), so the caller's path gains no AWS call to wait on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lambdas.documents.storage_format import EXPERIMENT_STOP
from lambdas.documents.store import DocumentStore, Snapshot, StoreReporter, open_store, refresh_when_due
from lambdas.ivr_decision.assignment import CHAMPION, NO_EXPERIMENT, Assignment, assign
from lambdas.ivr_decision.config import DecisionConfig
from lambdas.ivr_decision.decide import Decision, Documents, decide
from lambdas.ivr_decision.interaction_store import interaction_item, put_interaction
from lambdas.ivr_decision.signals import DecisionContext, build_context
from lambdas.policy.experiment import ExperimentDocument, read_stop
from lambdas.policy.facts import Route
from lambdas.shared.aws import ClientLimits, LazyClient, make_client
from lambdas.shared.budget import Deadline, run_within
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.keyed_hash import CALLER
from lambdas.shared.keyed_hash_secret import KeyedHashSecret
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics
from lambdas.shared.response import Status, flat_response, to_flow_value

SERVICE = "ivr_decision"
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=2)
SECRETS_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=1)
# The secret's read in the init phase (after the store's: only an experiment by caller needs it);
# a later read never holds a call.
HASH_KEY_INIT_BUDGET_MS = 1000
HASH_KEY_RETRY_SECONDS = 10
NO_WAIT = 0.0
FALLBACK_QUEUE = "general"

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)
REPORTER = StoreReporter(logger, metrics, subject="rules", metric_prefix="Rules")
DOCUMENTS = ("rules", "content", "calendar", "experiment")
EXTRAS = (EXPERIMENT_STOP,)  # the guard's stop, read with the documents (same call, same max age)


@dataclass(frozen=True)
class DecisionDeps:
    config: DecisionConfig
    store: DocumentStore
    dynamodb: Any
    hash_secret: KeyedHashSecret
    clock: Clock = utc_now  # decides "as of" this moment (holidays, opening hours); the sandbox pins it


def build_deps() -> DecisionDeps:
    config = DecisionConfig.from_env()
    opening = open_store(
        config.config_path,
        DOCUMENTS,
        max_age_seconds=config.max_age_seconds,
        retry_after_failure_seconds=config.retry_after_failure_seconds,
        init_budget_ms=config.budget_ms,
        reporter=REPORTER,
        extras=EXTRAS,
    )
    dynamodb = make_client("dynamodb-slim", DYNAMODB_LIMITS)  # built while the store answers
    store = opening.open()
    # Created on first use: without an experiment by caller, the container never reads the secret.
    hash_secret = KeyedHashSecret(
        LazyClient("secretsmanager-slim", SECRETS_LIMITS),
        config.keyed_hash_secret,
        retry_after_seconds=HASH_KEY_RETRY_SECONDS,
    )
    if _needs_caller_key(store.snapshot()):
        hash_secret.hasher(Deadline.after_ms(HASH_KEY_INIT_BUDGET_MS))  # in the init phase, bounded
    return DecisionDeps(config, store, dynamodb, hash_secret)


def _needs_caller_key(snapshot: Snapshot) -> bool:
    document: ExperimentDocument = snapshot.get("experiment").value  # type: ignore[assignment]
    return document.experiment is not None and document.experiment.unit == "caller"


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
    assignment = _assign(deps, snapshot, event, now)
    if assignment.challenger is not None:
        documents = documents._replace(rules=assignment.challenger)
    context = build_context(event, documents.rules, documents.calendar, now, deps.config.time_zone)
    decision = decide(context, documents)._replace(
        variant=assignment.variant, experiment_id=assignment.experiment_id
    )
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
            "variant": decision.variant,
            "experiment_id": decision.experiment_id,
            "experiment_left_out": assignment.left_out,
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


def _assign(deps: DecisionDeps, snapshot: Snapshot, event: ContactEvent, now: datetime) -> Assignment:
    """The experiment's variant for this call (the champion when none runs); no AWS call waited on."""
    document: ExperimentDocument = snapshot.get("experiment").value  # type: ignore[assignment]
    if document.experiment is None:
        return assign(None, None, now, event, _no_caller_hash)
    stop_value = snapshot.extras.get(EXPERIMENT_STOP)
    stop = read_stop(stop_value) if stop_value is not None else None

    def hash_caller(identity: str) -> str | None:
        # An expired deadline: the key when it is held; otherwise a background read is started
        # (at most every HASH_KEY_RETRY_SECONDS) and this call goes on without it.
        hasher = deps.hash_secret.hasher(Deadline.after_ms(NO_WAIT))
        return hasher.digest(CALLER, identity) if hasher is not None else None

    assignment = assign(document.experiment, stop, now, event, hash_caller)
    if assignment.left_out:
        metrics.add_metric(
            name=f"ExperimentLeftOut{_camel(assignment.left_out)}", unit=MetricUnit.Count, value=1
        )
    return assignment


def _no_caller_hash(identity: str) -> str | None:
    return None


def _camel(code: str) -> str:
    return code.title().replace("_", "")


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
