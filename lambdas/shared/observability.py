"""One place for logging and metrics, so every function logs the same structured way.

Rules every caller follows: log structured keys, never f-strings; never log a phone number, a
name or an email; the correlation id is the call's initial contact id.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "Tandem"

__all__ = ["NAMESPACE", "MetricUnit", "get_logger", "get_metrics", "single_metric"]


class _CurrentStdout:
    """Writes to whatever `sys.stdout` is at write time.

    Lambda collects stdout either way; the local sandbox swaps `sys.stdout` per invocation to
    capture a handler's log lines and EMF metrics without touching the handler.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# What a JSON text can start with (after whitespace), NaN and Infinity included as json.loads reads them.
JSON_STARTS = frozenset('{["-0123456789tfnNI')


def _message_as_json(text: Any) -> Any:
    """Powertools reads every log message as JSON if it can; ours are words. A message that cannot
    be JSON is refused before the parser builds an exception for it: the same log line, sooner."""
    if isinstance(text, str) and text.lstrip()[:1] not in JSON_STARTS:
        raise ValueError("not JSON")
    return json.loads(text)


LOG_LEVEL_VAR = "POWERTOOLS_LOG_LEVEL"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def get_logger(service: str) -> Logger:
    # POWERTOOLS_LOGGER_LOG_EVENT stays off: the event carries the caller's number.
    # An unknown level would make Powertools raise at import (no answer to the flow at all): INFO
    # serves instead, and one line says which variable is wrong.
    raw = os.environ.get(LOG_LEVEL_VAR, "").strip()
    level = raw.upper() or "INFO"
    valid = level in LOG_LEVELS
    logger = Logger(
        service=service,
        level=level if valid else "INFO",
        logger_handler=logging.StreamHandler(_CurrentStdout()),  # type: ignore[arg-type]
        json_deserializer=_message_as_json,
    )
    if not valid:
        logger.warning(
            "configuration invalid",
            extra={"problem": f"environment variable {LOG_LEVEL_VAR} must be one of {', '.join(LOG_LEVELS)}"},
        )
    return logger


def get_metrics(service: str) -> Metrics:
    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE), service=service)
