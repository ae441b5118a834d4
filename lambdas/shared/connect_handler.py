"""The one place a Connect-facing handler turns any outcome into a valid flow response.

Connect retries a failed block up to three times and then takes the Error branch, with the caller
in silence throughout, so a handler must never raise: a malformed event answers INVALID_INPUT,
broken configuration answers DEGRADED (reason CONFIG, the variable named in the log), any other
unexpected failure answers DEGRADED (INTERNAL_ERROR) with the handler's safe defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.shared.config import ConfigError
from lambdas.shared.event import ContactEvent, InvalidEvent, parse_contact_event
from lambdas.shared.response import Status, flat_response

Logic = Callable[[ContactEvent, Any], dict[str, str]]
Fallback = Callable[[Status, str], dict[str, str]]

# The keys every log line of one invocation carries, set in one step and removed in one.
_PER_CALL_KEYS = ("correlation_id", "contact_id", "channel", "initiation_method")


def run_connect_handler(
    raw_event: Any,
    context: Any,
    *,
    logger: Logger,
    metrics: Metrics,
    logic: Logic,
    fallback: Fallback,
) -> dict[str, str]:
    try:
        try:
            event = parse_contact_event(raw_event)
        except InvalidEvent as problem:
            logger.warning("invalid event", extra={"problem": str(problem)})
            metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
            return fallback(Status.INVALID_INPUT, "INVALID_EVENT")
        # Only values of Connect's shape: anything else in these members is logged as a marker.
        logger.append_keys(correlation_id=event.log_correlation_id(), **event.log_keys())
        return logic(event, context)
    except ConfigError as problem:  # raised by the container's build; names the variable, no data
        logger.error("configuration invalid", extra={"problem": str(problem)})
        metrics.add_metric(name="ConfigErrors", unit=MetricUnit.Count, value=1)
        return fallback(Status.DEGRADED, "CONFIG")
    except Exception as error:
        # Type only: exception messages from dependencies can echo request data.
        logger.error("handler failed", extra={"error_type": type(error).__name__}, exc_info=False)
        metrics.add_metric(name="HandlerErrors", unit=MetricUnit.Count, value=1)
        return _safe_fallback(fallback)
    finally:
        _flush(metrics, logger)
        logger.remove_keys(_PER_CALL_KEYS)


def _safe_fallback(fallback: Fallback) -> dict[str, str]:
    try:
        return fallback(Status.DEGRADED, "INTERNAL_ERROR")
    except Exception:
        return flat_response(Status.DEGRADED, {"degradedReason": "INTERNAL_ERROR"})


def _flush(metrics: Metrics, logger: Logger) -> None:
    try:
        metrics.flush_metrics()
    except Exception as error:  # metrics must never cost the caller an answer
        logger.warning("metrics flush failed", extra={"error_type": type(error).__name__})
