"""Scheduled entry point: `lambdas.experiment_guard.handler.lambda_handler`.

EventBridge invokes it on a schedule (infra/constructs/experiment_guard.py); the event's content is
not needed, so any event (a hand-made `{}` too) runs one look. It reads the experiment document and
the stop as ivr_decision does, sums both arms' counters over the experiment's days so far, and when
a guardrail shows harm (guard.py) writes the stop parameter and then announces it on the alarm topic.
The stop is written first: it is what protects callers, and once written the experiment reads as
`already-stopped`, so it is never stopped or announced twice. A failed announcement is logged and
counted (`GuardNotifyFailures`), never retried by stopping again.

Never raises: every outcome is one summary (experimentId, action
`stopped|running|not-running|already-stopped|none|error`, the guardrail and its figures), logged
as one line and returned. A failure is counted in `GuardErrors`, which the stack alarms on (a
scheduled function that swallowed its errors would otherwise fail silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.experiment_guard.config import GuardConfig
from lambdas.experiment_guard.guard import RUNNING, STOPPED, judge, standing
from lambdas.experiment_guard.reads import (
    StoreProblem,
    announce,
    experiment_days,
    read_arms,
    read_in_force,
    write_stop,
)
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.config import ConfigError
from lambdas.shared.container import Container
from lambdas.shared.counters import CHALLENGER, CHAMPION, CounterError
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics

SERVICE = "experiment_guard"
ERROR = "error"
# No caller waits: a few attempts with botocore's backoff are worth it, inside the function's timeout.
LIMITS = ClientLimits(connect_timeout=2.0, read_timeout=5.0, max_attempts=4)

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)


@dataclass(frozen=True)
class GuardDeps:
    config: GuardConfig
    ssm: Any  # GetParametersByPath on the documents' path; PutParameter on the stop only
    dynamodb: Any  # Query on the Metrics table
    sns: Any  # Publish on the alarm topic
    clock: Clock = utc_now  # judges "as of" this moment; the sandbox pins it to a simulated day's end


def build_deps() -> GuardDeps:
    return GuardDeps(
        GuardConfig.from_env(),
        make_client("ssm-slim", LIMITS),
        make_client("dynamodb-slim", LIMITS),
        make_client("sns-slim", LIMITS),
    )


CONTAINER = Container(build_deps)
CONTAINER.warm()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    summary = _summary()
    _report(summary)
    return summary


def _summary() -> dict[str, Any]:
    try:
        return _guard()
    except (ConfigError, StoreProblem, CounterError) as problem:  # one line, names what is wrong
        return _error(problem=str(problem))
    except Exception as error:  # type only: a dependency's message can echo request data
        return _error(error_type=type(error).__name__)


def _report(summary: dict[str, Any]) -> None:
    try:
        metrics.add_metric(name="GuardRuns", unit=MetricUnit.Count, value=1)  # the schedule's heartbeat
        if summary["action"] == ERROR:
            logger.error("experiment guard failed", extra=summary)
            metrics.add_metric(name="GuardErrors", unit=MetricUnit.Count, value=1)
        else:
            logger.info("experiment guard", extra=summary)
        metrics.flush_metrics()
    except Exception as error:  # the summary is still the answer
        logger.warning("metrics flush failed", extra={"error_type": type(error).__name__})


def _guard() -> dict[str, Any]:
    deps = CONTAINER.get()
    config = deps.config
    now = deps.clock()
    in_force = read_in_force(deps.ssm, config.config_path)
    experiment, stop = in_force.experiment, in_force.stop
    arms: dict[str, dict[str, int]] = {CHAMPION: {}, CHALLENGER: {}}
    requests = 0
    if experiment is not None and standing(experiment, stop, now) == RUNNING:
        start, end = experiment_days(experiment, now, config.time_zone)
        arms, reads = read_arms(deps.dynamodb, config.metrics_table, experiment, start, end)
        requests = reads.requests
    judgement = judge(experiment, stop, arms[CHAMPION], arms[CHALLENGER], now)
    summary = {**judgement.summary(), "counterReads": requests}
    if judgement.action != STOPPED or judgement.stop is None:
        return summary
    try:
        write_stop(deps.ssm, config.config_path, judgement.stop)
    except Exception as error:  # not stopped: the next run looks again and stops it then
        return {**summary, "action": ERROR, "errorType": type(error).__name__, "stopWritten": False}
    metrics.add_metric(name="ExperimentsStopped", unit=MetricUnit.Count, value=1)
    try:
        announce(deps.sns, config.alarm_topic_arn, judgement)
    except Exception as error:
        logger.error("experiment stop not announced", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="GuardNotifyFailures", unit=MetricUnit.Count, value=1)
        return {**summary, "stopWritten": True, "notified": False, "reason": judgement.stop.reason}
    return {**summary, "stopWritten": True, "notified": True, "reason": judgement.stop.reason}


def _error(**why: str) -> dict[str, Any]:
    return {"experimentId": "", "action": ERROR, "guardrail": "", **why}
